#pragma once
/// The overload set for std::visit over a closed vocabulary (STYLE.md): the compiler
/// lists every alternative a visitor forgot.
namespace ostwin {

template <class... Fs>
struct Overload : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overload(Fs...) -> Overload<Fs...>;

}  // namespace ostwin
