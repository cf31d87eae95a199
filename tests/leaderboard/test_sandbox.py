"""The sandbox against hostile code (real bubblewrap processes): secrets stay invisible, writes stay in the job
folder, namespace and kernel escapes are refused, the network is unreachable, and every resource attack (fork bomb,
/dev/shm, memory, CPU, wall time, file size, setsid escapes) is stopped with a recorded reason and leaves nothing."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from brainmark.leaderboard import sandbox as sandbox_module
from brainmark.leaderboard.cgroups import CgroupError
from brainmark.leaderboard.sandbox import Limits, Sandbox, run_sandboxed
from brainmark.leaderboard.slots import sandbox_root, sweep_stale

pytestmark = pytest.mark.usefixtures("sandbox_ready")
FAST = Limits(seconds=30, memory_bytes=512 * 2**20, processes=64, tmp_bytes=64 * 2**20)




def run_script(code: str, limits: Limits = FAST) -> tuple[object, dict]:
    """Run ``code`` as a file in a fresh sandbox; returns (result, the JSON object it printed last, or {})."""
    helpers, marker, body = code.partition("#--\n")
    source = helpers + textwrap.dedent(body) if marker else textwrap.dedent(code)

    def setup(box: Sandbox) -> None:
        (box.host("package") / "attack.py").write_text(source)

    result = run_sandboxed([sys.executable, "-s", "/job/package/attack.py"], limits, setup=setup)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return result, (json.loads(lines[-1]) if lines else {})




TRY = """
import json, os, errno
def attempt(fn):
    try:
        return "allowed: " + str(fn())[:80]
    except OSError as exc:
        return "refused: " + errno.errorcode.get(exc.errno, str(exc.errno))
#--
"""


def test_secrets_are_invisible(tmp_path, monkeypatch):
    home = Path(os.environ["BRAINMARK_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    db = home / "leaderboard-secret.sqlite"
    db.write_text("users: alice token-hash")
    os.chmod(db, 0o600)
    monkeypatch.setenv("BRAINMARK_TEST_SECRET", "hunter2")
    code = TRY + f"""
    out = {{
        "db": attempt(lambda: open({str(db)!r}).read()),
        "home": attempt(lambda: os.listdir({str(home)!r})),
        "shadow": attempt(lambda: open("/etc/shadow").read()),
        "parent_environ": attempt(lambda: open("/proc/{os.getpid()}/environ").read()),
        "pid1_environ": attempt(lambda: open("/proc/1/environ").read()),
        "host_tmp": attempt(lambda: os.listdir({str(tmp_path)!r})),
        "root_home": attempt(lambda: os.listdir("/root")),
        "env": sorted(os.environ),
        "uid": os.getuid(),
        "caps": open("/proc/self/status").read().split("CapEff:")[1].split()[0],
        "no_new_privs": open("/proc/self/status").read().split("NoNewPrivs:")[1].split()[0],
    }}
    print(json.dumps(out))
    """
    result, out = run_script(code)
    assert result.returncode == 0, result.stderr
    for key in ("db", "home", "shadow", "parent_environ", "host_tmp"):
        assert out[key].startswith("refused"), (key, out[key])
    assert "hunter2" not in json.dumps(out) and "hunter2" not in result.stderr
    assert "token-hash" not in result.stdout
    assert not any("SECRET" in k or "DATABASE" in k for k in out["env"])
    assert out["uid"] == 65534 and out["caps"] == "0000000000000000" and out["no_new_privs"] == "1"


def test_writes_outside_the_job_folder_stay_out(tmp_path):
    home = Path(os.environ["BRAINMARK_HOME"])
    marker = f"brainmark-attack-{os.getpid()}"
    venv = Path(sys.prefix)
    code = TRY + f"""
    out = {{}}
    for name, path in {{"home": {str(home / marker)!r}, "host_tmp_dir": {str(tmp_path / marker)!r},
                        "package": "/job/package/{marker}", "usr": "/usr/{marker}", "venv": {str(venv / marker)!r},
                        "root": "/{marker}", "tmp": "/tmp/{marker}", "work": "/job/work/{marker}"}}.items():
        out[name] = attempt(lambda: open(path, "w").write("pwned"))
    print(json.dumps(out))
    """
    result, out = run_script(code)
    assert result.returncode == 0, result.stderr
    for key in ("home", "host_tmp_dir", "package", "usr", "venv", "root"):
        assert out[key].startswith("refused"), (key, out[key])
    assert out["tmp"].startswith("allowed") and out["work"].startswith("allowed")  # private tmpfs, job folder
    assert not (home / marker).exists() and not (tmp_path / marker).exists() and not Path("/tmp", marker).exists()
    assert not list(sandbox_root().glob("slot-*/"))  # the job folder itself is gone afterwards


def test_namespace_and_kernel_escapes_are_refused():
    code = TRY + """
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    def call(name, *args):
        def run():
            if getattr(libc, name)(*args) != 0:
                raise OSError(ctypes.get_errno(), name)
            return "ok"
        return attempt(run)
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    out = {
        "setns": call("setns", fd, 0x40000000),
        "unshare_user": call("unshare", 0x10000000),
        "unshare_net": call("unshare", 0x40000000),
        "unshare_mount": call("unshare", 0x00020000),
        "mount": call("mount", b"none", b"/tmp", b"tmpfs", 0, None),
        "ptrace": call("ptrace", 0, 0, None, None),
        "bpf": call("syscall", 321, 0, None, 0),
        "chroot": call("chroot", b"/tmp"),
        "keyctl": call("syscall", 250, 0, -3, 0),  # allowed without the filter: KEYCTL_GET_KEYRING_ID
        "clone3": call("syscall", 435, None, 0),  # ENOSYS, so that libc falls back to the filtered clone()
        "seccomp_mode": open("/proc/self/status").read().split("Seccomp:")[1].split()[0],
    }
    print(json.dumps(out))
    """
    result, out = run_script(code)
    assert result.returncode == 0, result.stderr
    assert out.pop("clone3") == "refused: ENOSYS" and out.pop("seccomp_mode") == "2"
    assert out and all(v == "refused: EPERM" for v in out.values()), out


def test_network_servers_on_the_host_are_unreachable():
    from brainmark.compute.dask import DaskExecutor

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    web_port = listener.getsockname()[1]
    with DaskExecutor(n_workers=1) as dask:
        scheduler = dask.scheduler_address.rsplit(":", 1)
        code = TRY + f"""
        import socket
        def connect(host, port):
            s = socket.create_connection((host, port), timeout=3)
            s.close()
            return "connected"
        out = {{"web": attempt(lambda: connect("127.0.0.1", {web_port})),
                "scheduler": attempt(lambda: connect("127.0.0.1", {int(scheduler[1])})),
                "interfaces": [n for _, n in socket.if_nameindex()]}}
        print(json.dumps(out))
        """
        result, out = run_script(code)
        assert result.returncode == 0, result.stderr
        assert out["web"].startswith("refused") and out["scheduler"].startswith("refused"), out
        assert out["interfaces"] == ["lo"]  # nothing but the sandbox's own loopback: no route anywhere
        assert dask.submit(abs, -3).result() == 3  # the scheduler is fine
    client = socket.create_connection(("127.0.0.1", web_port), timeout=3)  # and so is the "web server"
    client.close()
    listener.close()


def test_fork_bomb_is_bounded_and_leaves_nothing(slot_processes):
    code = """
    import os, time
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
    """
    start = time.monotonic()
    result, _ = run_script(code, Limits(seconds=30, memory_bytes=512 * 2**20, processes=48))
    assert result.stopped and "process limit" in result.stopped, result.describe()
    assert time.monotonic() - start < 20
    assert slot_processes() == []


@pytest.fixture(params=["cgroup", "pss"])
def accounting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the job cgroup, and again with the fallback (PSS + private tmpfs) accounting."""
    if request.param == "pss":
        def no_cgroup(*args: object, **kwargs: object) -> None:
            raise CgroupError("disabled for this test")

        monkeypatch.setattr(sandbox_module, "open_job_cgroup", no_cgroup)
    return request.param


def test_dev_shm_is_size_limited_and_counted(accounting, slot_processes):
    fill = """
    import json, os
    written = 0
    try:
        with open("/dev/shm/fill", "wb") as f:
            for _ in range({chunks}):
                f.write(b"x" * 2**20)
                f.flush()
                written += 2**20
        status = "complete"
    except OSError as exc:
        status = "stopped: " + os.strerror(exc.errno)
    print(json.dumps({{"written": written, "status": status}}))
    """
    result, out = run_script(fill.format(chunks=400), Limits(seconds=30, tmp_bytes=64 * 2**20))
    assert out["status"] == "stopped: No space left on device" and out["written"] <= 64 * 2**20
    # a large /dev/shm is still charged to the job's memory: filling it past the memory limit stops the job
    result, out = run_script(fill.format(chunks=600),
                             Limits(seconds=60, memory_bytes=256 * 2**20, tmp_bytes=1024 * 2**20))
    assert result.stopped and "memory limit" in result.stopped, (result.describe(), out)
    assert slot_processes() == []


SETSID = """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:  # a double-forked daemon in its own session
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
print("spawned", flush=True)
{tail}
"""


def test_setsid_escapes_die_with_the_job(slot_processes):
    result, _ = run_script(SETSID.format(tail="time.sleep(600)"), Limits(seconds=4))
    assert result.timed_out and "time limit" in result.describe()
    assert slot_processes() == []
    result, _ = run_script(SETSID.format(tail=""), Limits(seconds=30))  # the job "ends" leaving daemons behind
    assert result.returncode == 0 and "spawned" in result.stdout
    assert slot_processes() == []


def test_memory_limit_counts_shared_pages_once(accounting, slot_processes):
    forks = """
    import os, time
    data = bytearray(200 * 2**20)
    for i in range(0, len(data), 4096):
        data[i] = 1
    children = [pid for pid in (os.fork() for _ in range(4)) if pid] if True else []
    if len(children) < 4:  # in a child: hold the shared pages for a while
        time.sleep(3)
        os._exit(0)
    for pid in children:
        os.waitpid(pid, 0)
    print('{"done": true}')
    """
    limits = Limits(seconds=60, memory_bytes=450 * 2**20)
    result, out = run_script(forks, limits)
    assert result.returncode == 0 and out == {"done": True}, result.describe()  # 5 x 200 MiB RSS, 200 MiB real
    grow = """
    chunks = []
    while True:
        chunks.append(bytearray(20 * 2**20))
    """
    result, _ = run_script(grow, limits)
    assert result.memory_exceeded and "memory limit" in result.describe(), result.describe()
    assert slot_processes() == []


def test_cpu_time_file_size_and_wall_time_limits(slot_processes):
    result, _ = run_script("while True: pass", Limits(seconds=60, cpu_seconds=2))
    assert result.stopped and result.stopped.startswith("CPU time limit"), result.describe()
    result, _ = run_script("import time; time.sleep(600)", Limits(seconds=2))
    assert result.timed_out and result.seconds < 15
    big = "open('/job/work/big', 'wb').write(b'x' * 20 * 2**20)"
    result, _ = run_script(big, Limits(seconds=30, file_bytes=5 * 2**20))
    assert result.returncode != 0  # SIGXFSZ / EFBIG
    assert slot_processes() == []


def test_a_killed_worker_leaves_no_sandbox_and_its_slot_is_swept(tmp_path, slot_processes):
    worker = tmp_path / "worker.py"
    worker.write_text(textwrap.dedent(f"""
        import sys, time
        from brainmark.leaderboard.sandbox import Limits, Sandbox
        with Sandbox(Limits(seconds=600)) as box:
            box.start([sys.executable, "-c", "import time; time.sleep(600)"])
            print(box.slot.index, flush=True)
            time.sleep(600)
    """))
    proc = subprocess.Popen([sys.executable, str(worker)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    slot = int(proc.stdout.readline())
    deadline = time.monotonic() + 10
    while not slot_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert slot_processes(), "the sandboxed process did not start"
    proc.kill()  # kill -9 of the worker mid-job
    proc.wait()
    deadline = time.monotonic() + 10
    while slot_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert slot_processes() == []  # bwrap's --die-with-parent took the whole sandbox down
    assert (sandbox_root() / f"slot-{slot}").exists()  # ... and left its folder, which the next sweep removes
    removed = sweep_stale()
    assert any(line.startswith(f"slot {slot}:") for line in removed)
    assert not (sandbox_root() / f"slot-{slot}").exists()


def test_the_home_or_database_inside_a_mounted_folder_is_refused(monkeypatch, tmp_path):
    from brainmark.leaderboard.sandbox_mounts import SandboxError, bound_sources, check_sources

    check_sources(bound_sources())  # the test set-up itself is fine
    monkeypatch.setenv("BRAINMARK_HOME", str(Path(sys.prefix) / "brainmark-home"))
    with pytest.raises(SandboxError, match="BRAINMARK_HOME"):
        check_sources(bound_sources())
    monkeypatch.setenv("BRAINMARK_HOME", str(tmp_path))
    monkeypatch.setenv("BRAINMARK_LEADERBOARD_DATABASE_URL", f"sqlite:///{Path(sys.prefix) / 'lb.sqlite'}")
    with pytest.raises(SandboxError, match="database"):
        check_sources(bound_sources())


def test_output_floods_and_disk_filling_are_bounded(tmp_path):
    flood = "import sys\nfor _ in range(200000):\n    sys.stderr.write('x' * 1000)\n    sys.stdout.write('y' * 1000)\n"
    result, _ = run_script(flood, Limits(seconds=60))  # 200 MB each way: only the tail is kept, nothing on disk
    assert result.returncode == 0 and len(result.stderr) <= 20000 and len(result.stdout) <= 20000
    many = "import os\nfor i in range(100000):\n    open(f'/job/work/f{i}', 'w').close()\nimport time; time.sleep(30)\n"
    result, _ = run_script(many, Limits(seconds=60, files=500))
    assert result.stopped and "more than 500 files" in result.stopped, result.describe()
    big = ("import time\nfor i in range(40):\n    open(f'/job/work/b{i}', 'wb').write(b'x' * 2**20)\n"
           "time.sleep(30)\n")
    result, _ = run_script(big, Limits(seconds=60, disk_bytes=16 * 2**20))
    assert result.stopped and result.stopped.startswith("disk limit"), result.describe()
    assert not list(sandbox_root().glob("slot-*/"))
