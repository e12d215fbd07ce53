"""Facts about the machine a result was measured on (no OpenMMLab imports: benchmarks of the
slim serving install use it too)."""
import os
import platform


def machine() -> str:
    """CPU model and core count, e.g. ``AMD EPYC, 2 cores (x86_64)``: CPU training and timings
    depend on it as much as on the package versions."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            model = next(line.split(':', 1)[1].strip() for line in f
                         if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return f'{model}, {os.cpu_count()} cores ({platform.machine()})'
