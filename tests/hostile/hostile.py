#!/usr/bin/env python3
"""The hostile stage of scripts/test (docs/security.md, "Threat model").

Runs `ostwin` (the release build) against hostile scenarios and hostile files: repeated
forks and spawns, huge channels and stacks, RT spinners, SIGKILL, SIGTSTP and SIGSTOP at
random moments, links planted at output paths, FIFOs, devices and directories as inputs.
After every case it checks the host: no process of the run (every process of a run
inherits the runner's environment, which carries a marker), no queue name, cgroup or
tracefs instance of the runner's pid, the RT sysctls and the tracefs mount as before, no
new /dev/shm entry, and no file of the case's sandbox changed but the named outputs.

A case is a function registered with @case: it gets a Case (sandbox, runner starts,
expectations) and raises nothing; every failed expectation is collected. Add one by
writing a function below. Needs root (as CI runs it).

  tests/hostile/hostile.py --ostwin build/cli/ostwin        # every case
  tests/hostile/hostile.py --list
  tests/hostile/hostile.py --cases repeat-fork,sigtstp
  OSTWIN_HOSTILE_SEED=N tests/hostile/hostile.py ...             # replay the random moments
"""
import argparse
import ctypes
import fcntl
import hashlib
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "hostile", "corpus")
SYSCTLS = ("/proc/sys/kernel/sched_rt_runtime_us", "/proc/sys/kernel/sched_rr_timeslice_ms")
LOCK = "/run/ostwin/native.lock" if os.path.isdir("/run") else "/tmp/ostwin-root/native.lock"
TRACEFS_ROOTS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
NOBODY = 65534
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_open.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]

CASES = []


def case(name, what):
    def register(fn):
        CASES.append((name, what, fn))
        return fn
    return register


# ---- host facts ---------------------------------------------------------------------

def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def sysctls():
    return tuple(read(p) for p in SYSCTLS)


def tracefs_mounts():
    out = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            head, _, tail = line.partition(" - ")
            if tail.split(" ")[0] == "tracefs":
                out.add(head.split(" ")[4])
    return out


def shm_names():
    try:
        return {n for n in os.listdir("/dev/shm") if "ostwin" in n}
    except OSError:
        return set()


def proc_state(pid):
    s = read("/proc/%d/stat" % pid)
    if not s:
        return None
    return s[s.rfind(")") + 2]


def marked_processes(marker):
    """Live processes whose environment holds the marker, with their VmRSS in bytes."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                if marker.encode() not in f.read():
                    continue
        except OSError:
            continue
        st = proc_state(pid)
        if st in (None, "Z", "X"):
            continue
        rss = 0
        for line in (read("/proc/%d/status" % pid) or "").splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        out[pid] = rss
    return out


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def queue_names_left(pid, count):
    left = []
    for i in range(count):
        name = ("/ostwin-%d-%d" % (pid, i)).encode()
        q = libc.mq_open(name, os.O_RDONLY)
        if q >= 0:
            libc.mq_close(q)
            left.append(name.decode())
    return left


def cgroups_of(pid):
    want = "ostwin-%d" % pid
    found = []
    base_depth = "/sys/fs/cgroup".count("/")
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        if top.count("/") - base_depth > 6:
            dirs[:] = []
            continue
        if want in dirs:
            found.append(os.path.join(top, want))
            dirs.remove(want)
    return found


def tracefs_instances_of(pid):
    return [p for r in TRACEFS_ROOTS for p in [r + "/instances/ostwin-%d" % pid] if os.path.exists(p)]


class Opened:
    """Whether a file is opened while the block runs (inotify IN_OPEN)."""

    def __enter__(self):
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        libc.inotify_add_watch(self.fd, self.path.encode(), 0x20)  # IN_OPEN
        return self

    def __init__(self, path):
        self.path = path
        self.seen = False

    def __exit__(self, *a):
        try:
            self.seen = len(os.read(self.fd, 4096)) > 0
        except BlockingIOError:
            self.seen = False
        os.close(self.fd)


class HostLock:
    """A plain flock of the host lock (never HostLock's restore, which would hide a leak):
    the host is read while no ostwin run, and no guardian, is at work."""

    def __enter__(self):
        self.fd = None
        try:
            self.fd = os.open(LOCK, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return self
        for _ in range(6000):
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                time.sleep(0.01)
        return self

    def __exit__(self, *a):
        if self.fd is not None:
            os.close(self.fd)


def snapshot(top):
    """Every entry under top, not following links: type, owner, mode, size, content hash,
    link target, device number."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            item = [stat.S_IFMT(st.st_mode), st.st_uid, stat.S_IMODE(st.st_mode)]
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    h.update(f.read(1 << 24))
                item += [st.st_size, h.hexdigest()]
            elif stat.S_ISLNK(st.st_mode):
                item.append(os.readlink(p))
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                item.append(st.st_rdev)
            out[p] = tuple(item)
        dirs[:] = [x for x in dirs if not os.path.islink(os.path.join(d, x))]
    return out


# ---- one case -----------------------------------------------------------------------

class Case:
    def __init__(self, name, ostwin, rng, work):
        self.name = name
        self.ostwin = ostwin
        self.rng = rng
        self.sandbox = os.path.join(work, name)
        self.logs = os.path.join(work, "logs", name)
        os.makedirs(self.sandbox)
        os.makedirs(self.logs)
        self.marker = "OSTWIN_HOSTILE=%s-%d" % (name, os.getpid())
        self.outputs = set()     # sandbox paths the case's commands may write
        self.runners = []        # pids whose queue names, cgroups and tracefs instances are checked
        self.queues = 8          # queue ids checked per runner
        self.problems = []
        self.cpus = min(len(os.sched_getaffinity(0)), 4)
        self.n = 0
        self.frozen = False
        self.freeze_sandbox = lambda: None  # set by run_case

    def expect(self, ok, what):
        if not ok:
            self.problems.append(what)
        return ok

    def corpus(self, name, replace=None, cpus=None):
        """A corpus scenario copied into the sandbox, with `machine.cpus` set to `cpus`
        (default: every CPU ostwin may use, up to 4) and each text of `replace` replaced."""
        with open(os.path.join(CORPUS, name)) as f:
            text = f.read()
        text = text.replace("machine: {cpus: 1}", "machine: {cpus: %d}" % (cpus or self.cpus))
        for k, v in (replace or {}).items():
            text = text.replace(k, v)
        return self.file(name, text)

    def file(self, name, text, mode=0o644):
        p = os.path.join(self.sandbox, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        if self.frozen:
            self.outputs.add(p)  # made by the case itself after the snapshot
        return p

    def nobody_dir(self, name):
        """A directory another user owns (and could plant links in)."""
        p = os.path.join(self.sandbox, name)
        os.mkdir(p, 0o755)
        os.chown(p, NOBODY, NOBODY)
        return p

    def secret(self, name="secret"):
        """A root-only file a planted link points at: it must never change."""
        return self.file(name, "root's secret: never to be overwritten\n", 0o600)

    def plant_link(self, at, target):
        os.symlink(target, at)
        os.lchown(at, NOBODY, NOBODY)

    def start(self, args, session=False):
        """Starts `ostwin ARGS` with the marker in its environment; stdout and stderr to logs.
        The first start takes the sandbox's snapshot unless the case took it already."""
        if not self.frozen:
            self.freeze_sandbox()
        self.n += 1
        out = open(os.path.join(self.logs, "%d.out" % self.n), "w")
        err = open(os.path.join(self.logs, "%d.err" % self.n), "w")
        env = dict(os.environ)
        env["OSTWIN_HOSTILE"] = self.marker.split("=", 1)[1]
        p = subprocess.Popen([self.ostwin] + args, stdout=out, stderr=err, env=env, cwd=self.sandbox,
                             process_group=0 if session else None)
        p.out_path, p.err_path = out.name, err.name
        out.close()
        err.close()
        self.runners.append(p.pid)
        return p

    def watch(self, p, timeout, every=0.005):
        """Waits for p, sampling the run's processes: (rc or None on timeout, most processes
        at once, most total VmRSS, seconds)."""
        t0 = time.monotonic()
        most, rss = 0, 0
        while p.poll() is None:
            if time.monotonic() - t0 > timeout:
                p.kill()
                p.wait()
                return None, most, rss, time.monotonic() - t0
            seen = marked_processes(self.marker)
            most = max(most, len(seen))
            rss = max(rss, sum(seen.values()))
            time.sleep(every)
        return p.returncode, most, rss, time.monotonic() - t0

    def run(self, args, timeout=30):
        p = self.start(args)
        rc, most, rss, secs = self.watch(p, timeout)
        return rc, self.output(p), secs, most

    @staticmethod
    def output(p):
        with open(p.out_path, errors="replace") as f1, open(p.err_path, errors="replace") as f2:
            return f1.read() + f2.read()

    def wait_changed(self, host, limit=10):
        """Waits until a run has changed the RT throttling sysctl (it is mid-run)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if read(SYSCTLS[0]) == "-1" and host.sysctls[0] != "-1":
                return True
            time.sleep(0.005)
        return False


class Host:
    def __init__(self):
        with HostLock():
            self.sysctls = sysctls()
        self.tracefs = tracefs_mounts()
        self.shm = shm_names()

    def check(self, c):
        """The host after case c; puts back whatever it finds left, after reporting it."""
        left = {}
        for _ in range(300):
            reap()
            left = marked_processes(c.marker)
            if not left:
                break
            time.sleep(0.01)
        c.expect(not left, "processes of the run still alive: %s" % sorted(left))
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        with HostLock():
            now = sysctls()
            c.expect(now == self.sysctls, "sysctls %s, before %s" % (now, self.sysctls))
            for path, value in zip(SYSCTLS, self.sysctls):
                if read(path) != value:
                    with open(path, "w") as f:
                        f.write(value)
            for pid in c.runners:
                q = queue_names_left(pid, c.queues)
                c.expect(not q, "queues left: %s" % q)
                for name in q:
                    libc.mq_unlink(name.encode())
                for d in cgroups_of(pid):
                    c.expect(False, "cgroup left: %s" % d)
                    for line in (read(d + "/cgroup.procs") or "").split():
                        os.kill(int(line), signal.SIGKILL)
                    time.sleep(0.1)
                    os.rmdir(d)
                for d in tracefs_instances_of(pid):
                    c.expect(False, "tracefs instance left: %s" % d)
                    os.rmdir(d)
            mounts = tracefs_mounts()
            c.expect(mounts == self.tracefs, "tracefs mounts %s, before %s" % (sorted(mounts), sorted(self.tracefs)))
            for m in mounts - self.tracefs:
                subprocess.run(["umount", "-l", m])
        shm = shm_names()
        c.expect(shm <= self.shm, "/dev/shm entries left: %s" % sorted(shm - self.shm))


def run_case(name, fn, ostwin, rng, work, host):
    c = Case(name, ostwin, rng, work)
    before = None

    def freeze_sandbox():
        nonlocal before
        before = snapshot(c.sandbox)
        c.frozen = True
    c.freeze_sandbox = freeze_sandbox
    t0 = time.monotonic()
    try:
        fn(c)
    except Exception as e:  # a broken case is a failed case
        c.problems.append("case raised %r" % e)
    if before is not None:
        after = snapshot(c.sandbox)
        for p in sorted(set(before) | set(after)):
            if p in c.outputs or before.get(p) == after.get(p):
                continue
            c.problems.append("%s %s" % (p, "appeared" if p not in before else "vanished" if p not in after else
                                         "changed: %s -> %s" % (before[p], after[p])))
    host.check(c)
    return c, time.monotonic() - t0


# ---- the cases ----------------------------------------------------------------------
# Each starts the runner through c.start/c.run; the host is checked after each by Host.
# c.freeze_sandbox() marks the moment from which the sandbox may change only in
# c.outputs.

@case("repeat-fork", "600 forks of kid.0 in a repeat: one process, 599 program errors")
def _(c):
    f = c.corpus("repeat-fork.yaml")
    rc, out, secs, most = c.run(["native", f])
    c.expect(rc == 0, "exit %s" % rc)
    # runner, guardian, parent, kid.0
    c.expect(most <= 4, "%d processes of the run at once" % most)
    c.expect(out.count("fork of kid.0, which already exists") == 599, "the program errors are not reported")


@case("repeat-spawn-stack", "50 spawns of w.0 with a 64 MiB stack: two stacks at most")
def _(c):
    f = c.corpus("repeat-spawn-stack.yaml")
    p = c.start(["native", f])
    rc, most, rss, secs = c.watch(p, 30)
    c.expect(rc == 0, "exit %s" % rc)
    c.expect(rss < 224 << 20, "the run's processes held %d MiB at once" % (rss >> 20))


for _name, _file in [("huge-shm", "huge-shm.yaml"), ("huge-pipe", "huge-pipe.yaml"), ("huge-mqueue", "huge-mqueue.yaml"),
                     ("huge-stacks", "huge-stacks.yaml"), ("many-threads", "many-threads.yaml")]:
    def _refused(c, _file=_file):
        f = c.corpus(_file)
        p = c.start(["native", f])
        rc, most, rss, secs = c.watch(p, 30)
        out = c.output(p)
        c.expect(rc == 3, "exit %s" % rc)
        c.expect("--allow-large" in out, "the refusal does not name --allow-large: %r" % out[-300:])
        c.expect(most <= 1, "%d processes of the run at once: it started" % most)
    case(_name, "counted worst case over the native limits: refused before anything starts (exit 3)")(_refused)


def sigkill_mid_run(c, host, scenario):
    f = c.corpus(scenario)
    p = c.start(["native", f])
    if not c.expect(c.wait_changed(host), "the run never changed the sysctls"):
        p.kill()
        p.wait()
        return
    time.sleep(c.rng.uniform(0.05, 0.5))
    p.kill()
    p.wait()
    t0 = time.monotonic()
    while sysctls() != host.sysctls and time.monotonic() - t0 < 2:
        time.sleep(0.002)
    c.expect(sysctls() == host.sysctls, "sysctls not back within 2 s of the SIGKILL (no lock taken to read them)")


@case("rt-spinners-sigkill", "SIGKILL of the runner while RT threads keep every CPU")
def _(c):
    sigkill_mid_run(c, HOST, "rt-spinners.yaml")


@case("forked-rt-spinners-sigkill", "SIGKILL of the runner while a forked child's RT threads keep every CPU")
def _(c):
    sigkill_mid_run(c, HOST, "forked-rt-spinners.yaml")


@case("sigkill-runner-and-guardian", "SIGKILL of the runner and its guardian: the next run cleans up")
def _(c):
    f = c.corpus("forked-rt-spinners.yaml")
    p = c.start(["native", f])
    if not c.expect(c.wait_changed(HOST), "the run never changed the sysctls"):
        p.kill()
        p.wait()
        return
    time.sleep(c.rng.uniform(0.05, 0.3))
    m = re.search(r"\nguardian (\d+)\n", read(LOCK) or "")
    c.expect(m is not None, "no guardian in the lock file's record")
    if m:
        os.kill(int(m.group(1)), signal.SIGKILL)
    p.kill()
    p.wait()
    for _ in range(300):  # the run's processes die with the runner (lifeline, PR_SET_PDEATHSIG)
        reap()
        if not marked_processes(c.marker):
            break
        time.sleep(0.01)
    rc, out, secs, most = c.run(["native", c.corpus("tiny.yaml"), "--no-sched-switch"])
    c.expect(rc == 0, "the next run: exit %s" % rc)
    c.expect("restored sched_rt_runtime_us" in out, "the next run did not say it restored the sysctls")


@case("sigtstp", "Ctrl-Z (SIGTSTP, SIGTTOU) to the runner's job mid-run: refused, the run goes on")
def _(c):
    f = c.corpus("rt-spinners.yaml", replace={"3s": "300ms"})
    p = c.start(["native", f], session=True)
    c.expect(c.wait_changed(HOST), "the run never changed the sysctls")
    time.sleep(c.rng.uniform(0.02, 0.2))
    os.killpg(p.pid, signal.SIGTSTP)
    os.killpg(p.pid, signal.SIGTTOU)
    stopped = False
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 20:
        stopped = stopped or proc_state(p.pid) == "T"
        time.sleep(0.005)
    if p.poll() is None:
        os.kill(p.pid, signal.SIGCONT)
        p.kill()
        p.wait()
    c.expect(not stopped, "the runner was stopped")
    c.expect(p.returncode == 0, "exit %s" % p.returncode)
    c.expect("SIGTSTP ignored" in c.output(p), "no message about the refused SIGTSTP")


@case("sigstop", "SIGSTOP of the runner (cannot be refused): the guardian kills the run after the watchdog")
def _(c):
    f = c.corpus("rt-spinner-one.yaml", cpus=1)
    p = c.start(["native", f, "--watchdog", "500ms"])
    c.expect(c.wait_changed(HOST), "the run never changed the sysctls")
    time.sleep(0.1)
    os.kill(p.pid, signal.SIGSTOP)
    # runner (stopped) and guardian are what may remain, once the watchdog's deadline
    # plus the guardian's 3 s have passed
    t0 = time.monotonic()
    alone = False
    while time.monotonic() - t0 < 8 and not alone:
        alone = len(marked_processes(c.marker)) <= 2
        time.sleep(0.05)
    c.expect(alone, "the run's processes outlived a stopped runner's watchdog by 8 s")
    os.kill(p.pid, signal.SIGCONT)
    rc, most, rss, secs = c.watch(p, 20)
    c.expect(rc == 1, "exit %s (the watchdog's is 1)" % rc)


@case("mq-creation-sigkill", "SIGKILL while 250 message queues are being made, 6 times")
def _(c):
    text = "ostwin: 1\nname: many-queues\nmachine: {cpus: 1}\nscheduler: {policy: fcfs}\nchannels:\n"
    text += "".join("  - {name: q%d, kind: mqueue, capacity: 1, message_size: 8B}\n" % i for i in range(250))
    text += "processes:\n  - {name: p, threads: [{name: main, program: [{sleep: 2s}]}]}\n"
    f = c.file("queues.yaml", text)
    c.queues = 250
    for _ in range(6):
        p = c.start(["native", f, "--no-sched-switch"])
        time.sleep(c.rng.uniform(0, 0.15))
        p.kill()
        p.wait()


@case("stop-signals", "SIGINT, SIGTERM and SIGHUP at random moments: exit 128+N, host put back")
def _(c):
    f = c.corpus("forked-rt-spinners.yaml")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        p = c.start(["native", f])
        time.sleep(c.rng.uniform(0.05, 0.5))
        p.send_signal(sig)
        rc, most, rss, secs = c.watch(p, 20)
        c.expect(rc in (128 + sig, -sig), "%s: exit %s" % (sig.name, rc))


@case("lock-nobody", "another user can neither hold the host lock nor make root wait")
def _(c):
    subprocess.run([c.ostwin, "native", c.corpus("tiny.yaml")], capture_output=True)  # the lock exists
    as_nobody = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
    r = subprocess.run(as_nobody + ["flock", "-n", LOCK, "true"], capture_output=True)
    c.expect(r.returncode != 0, "nobody could flock %s" % LOCK)
    holder = subprocess.Popen(as_nobody + ["flock", LOCK, "sleep", "20"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    rc, out, secs, most = c.run(["native", c.corpus("tiny.yaml")], timeout=20)
    holder.kill()
    holder.wait()
    c.expect(rc == 0 and secs < 10, "root's run: exit %s after %.1f s" % (rc, secs))
    c.expect("waiting for another" not in out, "root's run waited")


# -- files (issue 22, items 1, 7, 8, 9) --

@case("link-at-trace-tmp", "a link planted at the trace's temporary name, in another user's directory")
def _(c):
    d = c.nobody_dir("userdir")
    secret = c.secret()
    c.plant_link(os.path.join(d, "out.jsonl.tmp"), secret)
    f = c.corpus("tiny.yaml")
    c.outputs.add(os.path.join(d, "out.jsonl"))
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["native", f, "--trace", os.path.join(d, "out.jsonl")])
    c.expect(rc in (0, 2), "exit %s" % rc)


@case("link-at-trace", "a link planted at the trace's own name")
def _(c):
    d = c.nobody_dir("userdir")
    secret = c.secret()
    c.plant_link(os.path.join(d, "out.jsonl"), secret)
    f = c.corpus("tiny.yaml")
    c.outputs.add(os.path.join(d, "out.jsonl"))
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["native", f, "--trace", os.path.join(d, "out.jsonl")])
    c.expect(rc in (0, 2), "exit %s" % rc)


@case("link-at-export-tmp", "a link planted at `export -o`'s temporary name")
def _(c):
    d = c.nobody_dir("userdir")
    secret = c.secret()
    trace = os.path.join(c.sandbox, "t.jsonl")
    rc, out, secs, most = c.run(["run", c.corpus("tiny.yaml"), "--trace", trace])
    c.expect(rc == 0, "run: exit %s" % rc)
    c.plant_link(os.path.join(d, "p.json.tmp"), secret)
    c.outputs.add(os.path.join(d, "p.json"))
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["export", trace, "--format", "perfetto", "-o", os.path.join(d, "p.json")])
    c.expect(rc in (0, 2), "export: exit %s" % rc)


@case("device-as-trace", "a device node as the trace output is never replaced")
def _(c):
    dev = os.path.join(c.sandbox, "null")
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["native", c.corpus("tiny.yaml"), "--trace", dev])
    c.expect(rc in (0, 2), "exit %s" % rc)


@case("trace-is-the-scenario", "--trace naming the scenario itself")
def _(c):
    f = c.corpus("tiny.yaml")
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["native", f, "--trace", f])
    c.expect(rc == 2, "exit %s" % rc)


@case("fifo-as-scenario", "a FIFO as the scenario: exit 2, no hang")
def _(c):
    fifo = os.path.join(c.sandbox, "s.yaml")
    os.mkfifo(fifo)
    c.freeze_sandbox()
    for cmd in ("run", "native"):
        rc, out, secs, most = c.run([cmd, fifo], timeout=5)
        c.expect(rc == 2, "%s: exit %s after %.1f s" % (cmd, rc, secs))


@case("fifo-as-costs", "a FIFO named by `costs:`: exit 2, no hang")
def _(c):
    os.mkfifo(os.path.join(c.sandbox, "costs.yaml"))
    f = c.file("s.yaml", open(os.path.join(CORPUS, "tiny.yaml")).read() + "costs: costs.yaml\n")
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["run", f], timeout=5)
    c.expect(rc == 2, "exit %s after %.1f s" % (rc, secs))


@case("directory-as-trace", "a directory as a trace to read: exit 2")
def _(c):
    d = os.path.join(c.sandbox, "dir.jsonl")
    os.mkdir(d)
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["export", d, "--format", "perfetto", "-o", "-"], timeout=10)
    c.expect(rc == 2, "exit %s" % rc)


@case("nul-in-costs", "`costs:` with a NUL byte before `.yaml` never opens the file before the NUL")
def _(c):
    secret = c.secret("shadow")
    f = c.file("s.yaml", open(os.path.join(CORPUS, "tiny.yaml")).read() + 'costs: "%s\\0.yaml"\n' % secret)
    c.freeze_sandbox()
    with Opened(secret) as opened:
        rc, out, secs, most = c.run(["run", f], timeout=10)
    c.expect(rc == 2, "exit %s" % rc)
    c.expect(not opened.seen, "the loader opened %s" % secret)
    c.expect("never to be overwritten" not in out, "the output quotes the file")


@case("output-dir-missing", "--trace into a missing directory fails before the run changes the host")
def _(c):
    f = c.corpus("sleeper.yaml")
    c.freeze_sandbox()
    rc, out, secs, most = c.run(["native", f, "--trace", os.path.join(c.sandbox, "missing", "x.jsonl")])
    c.expect(rc == 2, "exit %s" % rc)
    c.expect(secs < 2.0, "it ran the 2 s scenario first (%.1f s)" % secs)  # a run takes 2 s at least


# ---- main ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ostwin", default=os.path.join(ROOT, "build", "cli", "ostwin"))
    ap.add_argument("--cases", help="comma-separated case names (default: all)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for name, what, _ in CASES:
            print("%-28s %s" % (name, what))
        return 0
    if os.geteuid() != 0:
        print("hostile: needs root (the native runner's host checks), as CI runs it", file=sys.stderr)
        return 1
    chosen = CASES if not a.cases else [x for x in CASES if x[0] in a.cases.split(",")]
    seed = int(os.environ.get("OSTWIN_HOSTILE_SEED", random.randrange(1 << 32)))
    print("hostile: seed %d (replay: OSTWIN_HOSTILE_SEED=%d), %d cases, %s" % (seed, seed, len(chosen), a.ostwin))
    rng = random.Random(seed)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: the run's orphans come to us
    global HOST
    HOST = Host()
    work = tempfile.mkdtemp(prefix="ostwin-hostile-")
    os.chmod(work, 0o755)
    failed = []
    t_all = time.monotonic()
    for name, what, fn in chosen:
        c, secs = run_case(name, fn, os.path.abspath(a.ostwin), rng, work, HOST)
        print("%-6s %-28s %5.1fs  %s" % ("ok" if not c.problems else "FAILED", name, secs, what))
        for p in c.problems:
            print("         - " + p)
        if c.problems:
            failed.append(name)
            for log in sorted(os.listdir(c.logs)):
                text = open(os.path.join(c.logs, log), errors="replace").read()
                if text.strip():
                    print("         %s: %s" % (log, text[-600:].replace("\n", "\n           ")))
    shutil.rmtree(work, ignore_errors=True)
    print("hostile: %d of %d cases passed in %.0f s%s" % (len(chosen) - len(failed), len(chosen), time.monotonic() - t_all,
                                                       "; failed: " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


HOST = None
if __name__ == "__main__":
    sys.exit(main())
