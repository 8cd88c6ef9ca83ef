#include "sim/core/Files.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "sim/core/Error.hpp"

namespace ostwin {

namespace {

FileId id_of(const struct stat& st) {
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

/// "a FIFO (named pipe)" for anything that is not a regular file; nullptr for one.
const char* not_regular(mode_t m) {
    if (S_ISREG(m)) return nullptr;
    if (S_ISDIR(m)) return "a directory";
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

std::string too_large(const std::string& named, std::uint64_t size, bool exact, std::uint64_t max,
                      std::string_view flag) {
    std::string m = named + (exact ? " is " + std::to_string(size) + " bytes, too large" : " is too large") +
                    " (limit " + std::to_string(max);
    if (!flag.empty()) m += "; raise it with `" + std::string{flag} + " N`";
    return m + ")";
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

/// 16 hex digits nobody can predict (getrandom; the clock and a counter if it fails).
std::string random_hex() {
    std::uint64_t v = 0;
    if (::getrandom(&v, sizeof v, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof v)) {
        static std::atomic<std::uint64_t> counter{0};
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        v = (static_cast<std::uint64_t>(ts.tv_nsec) * 0x9E3779B97F4A7C15ull) ^
            (static_cast<std::uint64_t>(::getpid()) << 32) ^ counter.fetch_add(0x632BE59BD9B4E019ull);
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 0; i < 16; ++i) s[static_cast<std::size_t>(i)] = hex[(v >> (4 * i)) & 15];
    return s;
}

}  // namespace

std::optional<FileId> file_id(const std::string& path) {
    struct stat st{};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
    return id_of(st);
}

std::optional<InputRef> input_ref(const std::string& path) {
    if (auto id = file_id(path)) return InputRef{path, *id};
    return std::nullopt;
}

InputText read_input(const std::string& path, std::uint64_t max_bytes, std::string_view what,
                     std::string_view limit_flag, bool follow_link, const std::string& shown) {
    InputText r;
    const std::string named = std::string{what} + " " + ostwin::quoted(shown.empty() ? path : shown);
    auto fail = [&](std::string problem) {
        r.text.clear();
        r.problem = std::move(problem);
        return r;
    };
    auto open_problem = [&](int e) {
        if (e == ENOENT) return fail("cannot open " + named + ": no such file");
        if (e == ELOOP && !follow_link)
            return fail("cannot read " + named + ": it is a symbolic link; name the file itself");
        return fail("cannot open " + named + ": " + std::strerror(e));
    };
    if (path.empty()) return fail("cannot open " + std::string{what} + ": the path is empty");
    auto check = [&](const struct stat& st, bool exact_size) -> bool {
        if (const char* kind = not_regular(st.st_mode)) {
            fail("cannot read " + named + ": it is " + kind + "; ostwin reads only regular files");
            return false;
        }
        if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
            fail(too_large(named, static_cast<std::uint64_t>(st.st_size), exact_size, max_bytes, limit_flag));
            return false;
        }
        return true;
    };
    // Checked by name first, so that a device is never opened (opening one can act), then
    // on the descriptor, which is what is read whatever was swapped in meanwhile.
    struct stat st{};
    if ((follow_link ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) return open_problem(errno);
    if (!check(st, true)) return r;
    const Fd fd{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow_link ? 0 : O_NOFOLLOW))};
    if (fd.get() < 0) return open_problem(errno);
    if (::fstat(fd.get(), &st) != 0) return fail("cannot read " + named + ": " + std::strerror(errno));
    if (!check(st, true)) return r;
    r.id = id_of(st);
    // Read to one byte past the limit: a file that grows meanwhile is still bounded.
    std::size_t used = 0;
    r.text.resize(static_cast<std::size_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), max_bytes)) + 1);
    for (;;) {
        if (used == r.text.size()) {
            if (used > max_bytes) return fail(too_large(named, 0, false, max_bytes, limit_flag));
            r.text.resize(static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes + 1, used + (used / 2) + 65536)));
        }
        const ssize_t n = ::read(fd.get(), r.text.data() + used, r.text.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail("cannot read " + named + ": " + std::strerror(errno));
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    if (used > max_bytes) return fail(too_large(named, 0, false, max_bytes, limit_flag));
    r.text.resize(used);
    return r;
}

std::string read_input_file(const std::string& path, std::uint64_t max_bytes, std::string_view what,
                            std::string_view limit_flag, FileId* id) {
    InputText r = read_input(path, max_bytes, what, limit_flag);
    if (!r.problem.empty()) throw ScenarioError(path, SourceLoc{}, r.problem);
    if (id != nullptr) *id = r.id;
    return std::move(r.text);
}

// ---------------------------------------------------------------------------------------
// OutputFile

OutputFile::OutputFile(std::string path, std::string_view what, std::span<const InputRef> inputs)
    : path_(std::move(path)), what_(what), owner_(::getpid()), inputs_(inputs.begin(), inputs.end()) {
    const std::string named = what_ + " " + ostwin::quoted(path_);
    auto refuse = [&](const std::string& why) { return UsageError("cannot write " + named + ": " + why); };
    if (path_.empty()) throw UsageError("cannot write " + what_ + ": the path is empty");
    if (path_ == "-") throw refuse("`-` (standard output) is not an output of this command; name a file");
    const std::size_t slash = path_.rfind('/');
    name_ = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
    if (name_.empty() || name_ == "." || name_ == "..") throw refuse("it names a directory");
    try {
        dir_fd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd_ < 0) {
            const int e = errno;
            if (e == ENOENT) throw refuse("no directory " + ostwin::quoted(dir));
            if (e == ENOTDIR) throw refuse(ostwin::quoted(dir) + " is not a directory");
            throw refuse("directory " + ostwin::quoted(dir) + ": " + std::strerror(e));
        }
        struct stat st{};
        if (::fstat(dir_fd_, &st) != 0) throw refuse("directory " + ostwin::quoted(dir) + ": " + std::strerror(errno));
        dir_id_ = id_of(st);
        check_target();
        // An unnamed file in the directory: nothing to plant, nothing left if we are killed.
        // (OSTWIN_TEST_NAMED_TEMP=1 takes the fallback below, for its tests.)
        static const bool named_only = std::getenv("OSTWIN_TEST_NAMED_TEMP") != nullptr;
        if (!named_only) {
            fd_ = ::openat(dir_fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
            if (fd_ < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
                throw refuse(std::strerror(errno));
        }
        // A file system without O_TMPFILE: a fresh name, created only if it does not exist.
        for (int tries = 0; fd_ < 0; ++tries) {
            std::string t = "." + name_.substr(0, 200) + "." + random_hex() + ".tmp";
            fd_ = ::openat(dir_fd_, t.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
            if (fd_ >= 0) temp_name_ = std::move(t);
            else if (errno != EEXIST || tries == 100) throw refuse(std::strerror(errno));
        }
    } catch (...) {
        discard();
        throw;
    }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() noexcept {
    if (!committed_ && !temp_name_.empty() && dir_fd_ >= 0 && ::getpid() == owner_)
        ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
    temp_name_.clear();
    if (fd_ >= 0) ::close(fd_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
    fd_ = dir_fd_ = -1;
}

void OutputFile::check_target() const {
    auto refuse = [&](const std::string& why) {
        return UsageError("cannot write " + what_ + " " + ostwin::quoted(path_) + ": " + why);
    };
    struct stat st{};
    if (::fstatat(dir_fd_, name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        throw refuse(std::strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        throw refuse("it is a symbolic link; ostwin does not write through links (name the file itself)");
    if (const char* kind = not_regular(st.st_mode))
        throw refuse(std::string{"it is "} + kind + "; ostwin replaces only regular files");
    const FileId id = id_of(st);
    for (const InputRef& in : inputs_)
        if (in.id == id)
            throw refuse((in.path == path_ ? std::string{"it is an input of this command"}
                                           : "it is the same file as " + ostwin::quoted(in.path) + ", an input of this command") +
                         "; ostwin never replaces its inputs");
}

void OutputFile::write(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw EnvironmentError("cannot write " + what_ + " " + ostwin::quoted(path_) + ": " +
                                   std::strerror(n < 0 ? errno : EIO));
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void OutputFile::commit() {
    if (committed_) return;
    auto failed = [&](int e) {
        return EnvironmentError("cannot write " + what_ + " " + ostwin::quoted(path_) + ": " + std::strerror(e));
    };
    check_target();
    if (temp_name_.empty()) {
        // Give the unnamed file a fresh name (linkat never replaces anything), then rename.
        const std::string self = "/proc/self/fd/" + std::to_string(fd_);
        for (int tries = 0;; ++tries) {
            std::string t = "." + name_.substr(0, 200) + "." + random_hex() + ".tmp";
            int rc = ::linkat(AT_FDCWD, self.c_str(), dir_fd_, t.c_str(), AT_SYMLINK_FOLLOW);
            if (rc != 0 && errno == ENOENT) rc = ::linkat(fd_, "", dir_fd_, t.c_str(), AT_EMPTY_PATH);  // no /proc
            if (rc == 0) {
                temp_name_ = std::move(t);
                break;
            }
            if (errno != EEXIST || tries == 100) throw failed(errno);
        }
    }
    if (::renameat(dir_fd_, temp_name_.c_str(), dir_fd_, name_.c_str()) != 0) {
        const int e = errno;
        ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
        temp_name_.clear();
        throw failed(e);
    }
    temp_name_.clear();
    committed_ = true;
}

// ---------------------------------------------------------------------------------------
// OutputStream

OutputStream::Buf::Buf(OutputFile& out) : out_(&out) { setp(data_, data_ + sizeof data_); }

int OutputStream::Buf::sync() {
    out_->write(std::string_view{pbase(), static_cast<std::size_t>(pptr() - pbase())});
    setp(data_, data_ + sizeof data_);
    return 0;
}

OutputStream::Buf::int_type OutputStream::Buf::overflow(int_type c) {
    sync();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
        *pptr() = traits_type::to_char_type(c);
        pbump(1);
    }
    return traits_type::not_eof(c);
}

OutputStream::OutputStream(OutputFile& file) : std::ostream(nullptr), buf_(file) {
    rdbuf(&buf_);
    // The streambuf's EnvironmentError comes out of the failing << or flush as it is.
    exceptions(std::ios::badbit);
}

OutputStream::~OutputStream() = default;

// ---------------------------------------------------------------------------------------
// PrivateDir

PrivateDir::PrivateDir(std::string_view tag) {
    const char* env = std::getenv("TMPDIR");
    std::string tmpl = (env != nullptr && env[0] == '/') ? env : "/tmp";
    tmpl += "/ostwin-" + std::string{tag} + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
        throw EnvironmentError("cannot create a private directory " + tmpl + ": " + std::strerror(errno));
    path_ = std::move(tmpl);
}

PrivateDir::~PrivateDir() {
    // Mode 0700 and ours: nobody else can have put a link in here; remove_all removes
    // links themselves, never what they name.
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string PrivateDir::file(std::string_view name) const { return path_ + "/" + std::string{name}; }

}  // namespace ostwin
