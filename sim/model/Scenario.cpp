#include "sim/model/Scenario.hpp"

#include <type_traits>

namespace ostwin {

std::string_view op_name(const OpVariant& v) {
    return std::visit(
        [](const auto& o) -> std::string_view {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, op::Compute>) return "compute";
            else if constexpr (std::is_same_v<T, op::Sleep>) return "sleep";
            else if constexpr (std::is_same_v<T, op::Io>) return "io";
            else if constexpr (std::is_same_v<T, op::Send>) return "send";
            else if constexpr (std::is_same_v<T, op::Recv>) return "recv";
            else if constexpr (std::is_same_v<T, op::Lock>) return "lock";
            else if constexpr (std::is_same_v<T, op::Unlock>) return "unlock";
            else if constexpr (std::is_same_v<T, op::SemWait>) return "sem_wait";
            else if constexpr (std::is_same_v<T, op::SemPost>) return "sem_post";
            else if constexpr (std::is_same_v<T, op::CondWait>) return "cond_wait";
            else if constexpr (std::is_same_v<T, op::CondSignal>) return "cond_signal";
            else if constexpr (std::is_same_v<T, op::CondBroadcast>) return "cond_broadcast";
            else if constexpr (std::is_same_v<T, op::Barrier>) return "barrier";
            else if constexpr (std::is_same_v<T, op::Touch>) return "touch";
            else if constexpr (std::is_same_v<T, op::Spawn>) return "spawn";
            else if constexpr (std::is_same_v<T, op::Fork>) return "fork";
            else if constexpr (std::is_same_v<T, op::Join>) return "join";
            else if constexpr (std::is_same_v<T, op::Yield>) return "yield";
            else if constexpr (std::is_same_v<T, op::Exit>) return "exit";
            else if constexpr (std::is_same_v<T, op::Crash>) return "crash";
            else {
                static_assert(std::is_same_v<T, op::Repeat>, "every op has a name");
                return "repeat";
            }
        },
        v);
}

}  // namespace ostwin
