"""``ndgrad.optim``: PyTorch 2.13's optimisers and learning-rate schedulers, in ndgrad ops.

Example:
    >>> import ndgrad
    >>> w = ndgrad.tensor([3.0], requires_grad=True)
    >>> opt = ndgrad.optim.Adam([w], lr=0.1)
    >>> sched = ndgrad.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (w**2).sum().backward()
    ...     _ = opt.step()
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.0125]
"""

from . import lr_scheduler, optimizer  # noqa: F401 - optim.optimizer, as in PyTorch
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
]
