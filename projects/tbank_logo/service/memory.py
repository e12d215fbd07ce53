"""Give the memory of large images back to the system once they are done.

glibc serves an allocation above its mmap threshold with its own mapping, returned on free;
but freeing such a block *raises* the threshold to its size (up to 32 MB), so the next decoded
photos and their resized copies come from the heap, whose freed space is rarely trimmed. A few
40 MP uploads then leave the server ~300 MB larger for good (measured with the model-free
double: 90 -> 404 MB after 40 requests, 4 of them 40 MP; ``MALLOC_ARENA_MAX=2`` changed
nothing, so it is not the per-thread arenas). A fixed threshold keeps every image-sized buffer
in its own mapping (90 -> 97 MB).
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
LARGE_BLOCK = 1 << 20  # 1 MB: a 640x640 colour image is 1.2 MB, network inputs more


def release_large_buffers() -> bool:
    """Fix glibc's mmap and trim thresholds at 1 MB for this process; False where the C
    library is not glibc (nothing changes there)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK) and mallopt(M_TRIM_THRESHOLD, LARGE_BLOCK))
