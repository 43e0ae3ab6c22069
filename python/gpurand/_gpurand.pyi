"""
Compiled core of the gpurand package (use the `gpurand` module instead).
"""

from typing import Annotated

from numpy.typing import NDArray

from gpurand import Error as Error, ForkError as ForkError


def gpu_available() -> bool:
    """True when a usable CUDA device is present."""

def built_with_cuda() -> bool:
    """
    True when this module (and its library) was built with the CUDA toolkit. Without it there is no GPU backend and no poisson() (it needs cuRAND's helpers): both raise gpurand.Error saying so.
    """

def os_entropy64() -> int:
    """64 bits from the OS (getrandom(2) or /dev/urandom)."""

def synchronize_stream(stream: int) -> None:
    """cudaStreamSynchronize on a __cuda_array_interface__ stream value."""

class StreamMatch:
    """
    Worker b's values repeat worker a's, shifted by `lag`: b[b_pos + t] == a[a_pos + t] for t < length.
    """

    @property
    def a(self) -> int:
        """Row of the first worker."""

    @property
    def b(self) -> int:
        """Row of the second worker."""

    @property
    def lag(self) -> int:
        """a_pos - b_pos (0 for a full duplicate)."""

    @property
    def a_pos(self) -> int:
        """Start of the run in row a."""

    @property
    def b_pos(self) -> int:
        """Start of the run in row b."""

    @property
    def length(self) -> int:
        """Values in the shared run."""

    def __repr__(self) -> str: ...

class AuditReport:
    """The result of gpurand.audit()."""

    @property
    def clean(self) -> bool:
        """
        True when no duplicate stream, no overlap and no excess value collisions.
        """

    @property
    def verdict(self) -> str:
        """'clean', or 'defects found: ...' naming them."""

    @property
    def duplicate_streams(self) -> int:
        """Rows whose values equal a lower row's."""

    @property
    def duplicates(self) -> list[StreamMatch]:
        """Listed duplicate pairs (lag 0)."""

    @property
    def overlap_runs(self) -> int:
        """Runs of >= window values shared by two rows at a shift."""

    @property
    def overlaps(self) -> list[StreamMatch]:
        """Listed overlapping runs with their lag."""

    @property
    def overlap_list_complete(self) -> bool:
        """False when only runs between neighbouring rows could be listed."""

    @property
    def window(self) -> int:
        """The overlap window used, in values."""

    @property
    def stream_checks_run(self) -> bool:
        """False when rows are shorter than the window (stream checks skipped)."""

    @property
    def value_collisions(self) -> int:
        """Equal pairs among all values."""

    @property
    def expected_collisions(self) -> float:
        """Equal pairs expected by the birthday bound for the values' resolution."""

    @property
    def p_value(self) -> float:
        """P(at least value_collisions equal pairs) for honest values."""

    @property
    def values_flagged(self) -> bool:
        """True when p_value < alpha."""

    @property
    def model(self) -> str:
        """The value model the birthday bound used."""

    def __str__(self) -> str: ...

    def __repr__(self) -> str: ...

def audit(values: Annotated[NDArray, dict(order='C', writable=False)], window: int = 0, alpha: float = 0.0001, model: str = 'auto', max_listed: int = 20, workers: int = 0) -> AuditReport:
    """
    Audit a C-contiguous 2-D array, one row per worker (gpurand::audit::run).
    """
