"""Run blocking inference off the event loop, with a hard per-image deadline and a bounded queue.

A Python thread cannot be killed, so "abandoned" work is bounded instead of stopped:

* a fixed number of worker threads runs the images; at most ``threads + queue_size`` images
  are admitted at once, and an admitted slot is only freed when its work really ends. When
  slow images keep the threads busy past their deadline, new requests are answered 503
  rather than piling up more work and memory;
* a request that times out gets its 504 at once; if its work had not started it never does,
  if it had, its result is dropped when it finishes. The work also checks its
  :class:`Deadline` between steps (decoding, each batch of tiles), so a long tiled image stops
  early instead of running to the end;
* the threads are daemons: a backend call that never returns cannot block the process exit.
"""
import asyncio
import queue
import threading
import time
from concurrent.futures import Future
from typing import Callable, Optional


class Overloaded(Exception):
    """Every thread and queue slot is taken (HTTP 503)."""


class TimedOut(Exception):
    """The image was not done within its deadline (HTTP 504)."""


class Abandoned(Exception):
    """Raised inside the work when its deadline has passed: nobody waits for the result."""


class Deadline:
    """A point on the monotonic clock by which an image must be done."""

    def __init__(self, timeout_s: float, start: Optional[float] = None):
        self.timeout_s = timeout_s
        self.at = (time.monotonic() if start is None else start) + timeout_s

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self, stage: str = '') -> None:
        """Stop the work (raise :class:`Abandoned`) once the deadline is past."""
        if self.remaining() <= 0:
            raise Abandoned(f'deadline passed before {stage}' if stage else 'deadline passed')


class InferenceRunner:
    """A fixed pool of daemon threads with admission control.

    Args:
        threads: worker threads (images processed at once).
        queue_size: images that may wait for a thread; more are refused with
            :class:`Overloaded`.
        on_change: called with :attr:`in_flight` whenever it changes, also when abandoned
            work ends long after its request was answered (the service's gauge).
    """

    def __init__(self, threads: int = 1, queue_size: int = 8,
                 on_change: Optional[Callable[[int], None]] = None):
        self.capacity = threads + queue_size
        self._on_change = on_change or (lambda n: None)
        self._admitted = 0
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f'infer-{i}', daemon=True)
                         for i in range(threads)]
        for t in self._threads:
            t.start()

    @property
    def in_flight(self) -> int:
        """Images admitted and not yet finished (running, queued, or abandoned but running)."""
        return self._admitted

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn = job
            if not future.set_running_or_notify_cancel():
                continue  # timed out while queued: never started
            try:
                future.set_result(fn())
            except BaseException as e:  # handed to the waiting request, never kills the thread
                future.set_exception(e)

    def _release(self, _future=None) -> None:
        with self._lock:
            self._admitted -= 1
            self._on_change(self._admitted)

    def submit(self, fn: Callable[[], object]) -> Future:
        """Queue ``fn``; raise :class:`Overloaded` when no slot is free."""
        with self._lock:
            if self._admitted >= self.capacity:
                raise Overloaded(f'{self._admitted} images in progress (capacity '
                                 f'{self.capacity})')
            self._admitted += 1
            self._on_change(self._admitted)
        future: Future = Future()
        future.add_done_callback(self._release)  # also on cancel: the slot is free again
        self._jobs.put((future, fn))
        return future

    async def run(self, fn: Callable[[], object], timeout_s: float):
        """Run ``fn`` in a worker; its result, or :class:`TimedOut` after ``timeout_s``."""
        future = self.submit(fn)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), max(timeout_s, 0))
        except asyncio.TimeoutError:
            future.cancel()  # effective only while still queued
            raise TimedOut(f'not done within {timeout_s:.2f} s') from None

    def shutdown(self) -> None:
        """Let the threads end after their current job (queued jobs are dropped)."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)
