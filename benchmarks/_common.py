"""Set-up shared by the benchmark scripts (run as `python benchmarks/<script>.py`)."""


def threads_and_torch(threads, use_torch=True):
    """Give Numba (and PyTorch, when importable and wanted) ``threads`` threads; returns torch or None.

    torch is only a peer to compare with, never a slimlayers dependency.
    """
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    if not use_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch
