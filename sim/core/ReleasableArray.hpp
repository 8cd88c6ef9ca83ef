#pragma once
/// A fixed-size array of T in its own anonymous mapping whose prefix can be destroyed and
/// given back to the OS while the rest is still in use (an array under 256 KiB lives on
/// the heap instead, and keeps its pages until it is destroyed). The engine keeps its thread
/// control blocks here: at the end of a run it turns them into the summary's per-thread
/// rows in order and releases the blocks already summarized, so a million-thread run
/// never holds every Tcb and every ThreadSummary at once (docs/performance.md).
/// Indexing is a plain pointer offset, as in std::vector.
#include <sys/mman.h>
#include <unistd.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace ostwin {

/// Asks the kernel to map the pages of [begin, end) writable now, in one call, instead of
/// one page fault per page as they are first written (Linux 5.14+ MADV_POPULATE_WRITE;
/// elsewhere, or if it fails, nothing happens and the pages fault in as usual). The range
/// is widened to whole pages: the caller must own the pages around it (a heap block).
/// A range of fewer than 16 pages is left alone: the system call costs about what its
/// few page faults would (a small heap block is often on pages touched already), and
/// the engine reserves a small block per thread (a job log) ten thousand times over.
inline void prefault_for_write(const void* begin, const void* end) {
#ifdef MADV_POPULATE_WRITE
    static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const std::uintptr_t b = reinterpret_cast<std::uintptr_t>(begin) / page * page;
    const std::uintptr_t e = (reinterpret_cast<std::uintptr_t>(end) + page - 1) / page * page;
    if (e >= b + 16 * page) (void)madvise(reinterpret_cast<void*>(b), e - b, MADV_POPULATE_WRITE);
#else
    (void)begin;
    (void)end;
#endif
}

template <typename T>
class ReleasableArray {
public:
    ReleasableArray() = default;
    ReleasableArray(const ReleasableArray&) = delete;
    ReleasableArray& operator=(const ReleasableArray&) = delete;
    ~ReleasableArray() { reset(); }

    /// Makes n value-initialized elements (drops any previous content).
    void assign(std::size_t n) {
        reset();
        if (n == 0) return;
        bytes_ = round_up(n * sizeof(T));
        if (bytes_ < kMapFrom) {
            // Small: from the heap. A mapping per run would cost an mmap and an munmap
            // (and the TLB shootdown of every other CPU the process runs on: `ostwin
            // sweep -j2` runs thousands of small scenarios on two threads), and giving a
            // few pages back early is not worth it.
            data_ = static_cast<T*>(::operator new(bytes_, std::align_val_t{kAlign}));
            heap_ = true;
        } else {
            // MAP_POPULATE: every element is constructed below, so every page is touched
            // at once; populating them in one call costs a fraction of a page fault per page.
            void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
            if (p == MAP_FAILED) throw std::bad_alloc();
            data_ = static_cast<T*>(p);
        }
        // Constructing in order touches the pages in order; a failure destroys what was built.
        for (; size_ < n; ++size_) new (data_ + size_) T();
    }

    [[nodiscard]] std::size_t size() const { return size_; }
    T& operator[](std::size_t i) {
        assert(i >= released_ && i < size_);
        return data_[i];
    }
    const T& operator[](std::size_t i) const {
        assert(i >= released_ && i < size_);
        return data_[i];
    }
    /// Iteration covers the elements not yet released.
    T* begin() { return data_ + released_; }
    T* end() { return data_ + size_; }
    const T* begin() const { return data_ + released_; }
    const T* end() const { return data_ + size_; }

    /// Destroys elements [released, k) and returns the whole pages they held to the OS.
    /// Elements below k must not be used again.
    void release_prefix(std::size_t k) {
        assert(k <= size_);
        for (; released_ < k; ++released_) std::destroy_at(data_ + released_);
        const std::size_t whole = (k * sizeof(T)) / page() * page();
        if (!heap_ && whole > released_bytes_) {
            madvise(reinterpret_cast<char*>(data_) + released_bytes_, whole - released_bytes_, MADV_DONTNEED);
            released_bytes_ = whole;
        }
    }

private:
    static std::size_t page() {
        static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        return p;
    }
    static std::size_t round_up(std::size_t b) { return (b + page() - 1) / page() * page(); }
    void reset() {
        if (data_ == nullptr) return;
        for (std::size_t i = released_; i < size_; ++i) std::destroy_at(data_ + i);
        if (heap_) ::operator delete(data_, std::align_val_t{kAlign});  // unsized: clang has no sized delete by default
        else munmap(data_, bytes_);
        data_ = nullptr;
        heap_ = false;
        size_ = released_ = bytes_ = released_bytes_ = 0;
    }

    static constexpr std::size_t kMapFrom = std::size_t{256} << 10;  ///< smaller arrays live on the heap
    static constexpr std::size_t kAlign = alignof(T) > 64 ? alignof(T) : 64;

    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t released_ = 0;        ///< elements [0, released_) are destroyed
    std::size_t bytes_ = 0;           ///< mapping size
    std::size_t released_bytes_ = 0;  ///< bytes [0, released_bytes_) given back
    bool heap_ = false;               ///< from operator new (small), not a mapping
};

}  // namespace ostwin
