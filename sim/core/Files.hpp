#pragma once
/// Every file ostwin reads or writes goes through here (docs/security.md, "Files").
/// Inputs: regular files only, checked on the open descriptor, read to a size bound; a
/// FIFO never blocks the open. Outputs: written to a temporary created exclusively in the
/// target's directory and renamed over the target, which must be a regular file (or
/// absent), not a link, and not one of the command's inputs.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace ostwin {

/// A file's identity: the same file under any name or link.
struct FileId {
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    friend bool operator==(const FileId&, const FileId&) = default;
};

/// A file a command reads, so that no output of the command replaces it.
struct InputRef {
    std::string path;  ///< as named, for messages
    FileId id;
};

/// The identity of the file `path` names, links followed; nullopt when it cannot be stat'ed.
std::optional<FileId> file_id(const std::string& path);
/// `path` with its identity, for an OutputFile's inputs; nullopt when it does not exist.
std::optional<InputRef> input_ref(const std::string& path);

/// What read_input() found: the text, or why not.
struct InputText {
    std::string text;
    FileId id;
    std::string problem;  ///< empty when read; else a sentence naming `what` and the path
};

/// Reads a whole input file of at most `max_bytes` bytes. `what` names it in messages
/// ("scenario file", "trace file"), `limit_flag` is the option that raises max_bytes
/// ("--max-file-bytes"; empty when there is none). Anything but a regular file is refused
/// before it is opened, and again on the open descriptor (O_NONBLOCK: a FIFO swapped in
/// never blocks). `follow_link` false refuses a symbolic link as the last component.
/// Messages name `shown` when given (the path as the user wrote it), else `path`.
InputText read_input(const std::string& path, std::uint64_t max_bytes, std::string_view what,
                     std::string_view limit_flag, bool follow_link = true, const std::string& shown = {});

/// read_input(), throwing ScenarioError(path, {}, problem) (exit 2) when it cannot.
std::string read_input_file(const std::string& path, std::uint64_t max_bytes, std::string_view what,
                            std::string_view limit_flag, FileId* id = nullptr);

/// An output written safely and atomically. The constructor opens the target's
/// directory (links in the directory part are followed as named), refuses a target that
/// is a symbolic link, is not a regular file, or is one of `inputs`, and creates the
/// temporary (O_TMPFILE, else an unpredictable name with O_CREAT|O_EXCL|O_NOFOLLOW, mode
/// 0666 & ~umask): every refusal is a UsageError (exit 2) saying why, before the command
/// does anything else. commit() renames it over the target; until then, and on every
/// failure, nothing in the directory changes (the destructor removes the temporary).
class OutputFile {
public:
    OutputFile(std::string path, std::string_view what, std::span<const InputRef> inputs = {});
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] int fd() const { return fd_; }
    /// Writes all of `bytes`; EnvironmentError (exit 3) when the host cannot (disk full).
    void write(std::string_view bytes);
    /// Puts the file in place. The target is checked again first; later writes still go
    /// to the file, now in place (a log read while it grows: the viewer's --state-out).
    void commit();
    [[nodiscard]] bool committed() const { return committed_; }
    /// Does `o` name the same directory entry as this output?
    [[nodiscard]] bool same_target(const OutputFile& o) const { return dir_id_ == o.dir_id_ && name_ == o.name_; }

private:
    /// Throws UsageError when the target as it is now cannot be replaced.
    void check_target() const;
    void discard() noexcept;

    std::string path_;
    std::string what_;
    std::string name_;       ///< last component of path_
    std::string temp_name_;  ///< the named temporary, or "" for an O_TMPFILE one
    int dir_fd_ = -1;
    int fd_ = -1;
    FileId dir_id_;
    pid_t owner_ = 0;        ///< only the creating process removes the temporary (forks share it)
    bool committed_ = false;
    std::vector<InputRef> inputs_;
};

/// A std::ostream into an OutputFile, buffered; write errors are thrown (EnvironmentError).
class OutputStream : public std::ostream {
public:
    explicit OutputStream(OutputFile& file);
    ~OutputStream() override;

private:
    class Buf : public std::streambuf {
    public:
        explicit Buf(OutputFile& out);
        int sync() override;
        int_type overflow(int_type c) override;

    private:
        OutputFile* out_;
        char data_[1 << 16];
    };
    Buf buf_;
};

/// A private directory (mkdtemp, mode 0700) under $TMPDIR or /tmp, removed with its
/// contents by the destructor: internal files whose names nobody else can predict or plant.
class PrivateDir {
public:
    explicit PrivateDir(std::string_view tag);
    ~PrivateDir();
    PrivateDir(const PrivateDir&) = delete;
    PrivateDir& operator=(const PrivateDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }
    /// `path()/name`.
    [[nodiscard]] std::string file(std::string_view name) const;

private:
    std::string path_;
};

}  // namespace ostwin
