"""Named points where a crash test has this process killed: ``SCENE_FINDER_KILL_AT=NAME[@WHAT][:N]``
sends SIGKILL (nothing is flushed, nothing cleaned up) the N-th time (default first) the point is reached
(with ``@WHAT``, only for that file name).

The points sit where a kill is most likely to leave a half-written library: thumbnails written but
their rows not committed, a video's rows inside an open transaction, a video committed but the index
caches not saved, one index file saved and the next not. tests/test_robustness.py kills at each and
checks that the library opens, answers and is finished by the next run; a Ray worker is killed at its
unit of work (tests/test_ray.py). ``SCENE_FINDER_INTERRUPT_AT=NAME[+SECONDS]`` instead sends the process
group SIGINT, as a terminal's Ctrl+C does, at the point or that many seconds after it. Unset, a point
costs an environment look-up.
"""

from __future__ import annotations

import os
import signal

_ENV = "SCENE_FINDER_KILL_AT"
_INTERRUPT_ENV = "SCENE_FINDER_INTERRUPT_AT"
_seen: dict[str, int] = {}


def point(name: str, what: str = "") -> None:
    interrupt = os.environ.get(_INTERRUPT_ENV)
    if interrupt and interrupt.partition("+")[0] == name:
        _interrupt(float(interrupt.partition("+")[2] or 0))
    spec = os.environ.get(_ENV)
    if not spec:
        return
    want, _, nth = spec.partition(":")
    want, _, only = want.partition("@")
    if want != name or (only and only != what):
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def _interrupt(after_s: float) -> None:
    def send() -> None:
        os.killpg(os.getpgid(0), signal.SIGINT)

    if after_s <= 0:
        send()
        return
    import threading

    timer = threading.Timer(after_s, send)
    timer.daemon = True
    timer.start()
