"""``ndgrad.nn`` layers: recurrent networks (``RNN``, ``LSTM``, ``GRU`` and their cells).

Parameter names, shapes, gate order and default initialisation are PyTorch's: layer ``k`` (and
``_reverse`` for the backward direction) holds ``weight_ih_lk`` ``(G*H, in)``, ``weight_hh_lk``
``(G*H, H)``, ``bias_ih_lk``, ``bias_hh_lk`` ``(G*H,)`` (and ``weight_hr_lk`` ``(P, H)`` for an LSTM
with ``proj_size=P``), all drawn from ``U(-1/sqrt(H), 1/sqrt(H))``. One step, with
``W x = x W^T + b``:

    RNN:   h' = tanh(W_ih x + W_hh h)                      (or relu)
    LSTM:  i, f, g, o = W_ih x + W_hh h                    (chunks, in that order)
           c' = sigmoid(f) c + sigmoid(i) tanh(g),   h' = sigmoid(o) tanh(c')   (h' W_hr^T)
    GRU:   r, z, n = W_ih x,  and  W_hh h                  (chunks, in that order)
           r = sigmoid(r_x + r_h), z = sigmoid(z_x + z_h), n = tanh(n_x + r n_h)
           h' = (1 - z) n + z h

The input projection ``W_ih x`` is one matrix product over every time step; the loop over steps
runs in Python, each step vectorised over the batch.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _nd() -> Any:
    import ndgrad

    return ndgrad


def _rnn_step(mode: str, xw: Any, h: Any, w_hh: Any, b_hh: Any) -> Any:
    """One step of a plain RNN; ``xw`` is ``W_ih x + b_ih`` already."""
    pre = xw + F.linear(h, w_hh, b_hh)
    return pre.tanh() if mode == "RNN_TANH" else F.relu(pre)


def _lstm_step(xw: Any, h: Any, c: Any, w_hh: Any, b_hh: Any, w_hr: Any) -> tuple[Any, Any]:
    """One LSTM step (gates ``i, f, g, o``); ``w_hr`` projects ``h'`` when not None."""
    i, f, g, o = (xw + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(xw: Any, h: Any, w_hh: Any, b_hh: Any) -> Any:
    """One GRU step (gates ``r, z, n``): ``h' = (1 - z) n + z h = n + z (h - n)``."""
    x_r, x_z, x_n = xw.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)


def _reset_uniform(module: Module) -> None:
    """PyTorch's initialisation of the recurrent layers and cells: every parameter from
    ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


class RNNBase(Module):
    """The shared body of ``RNN``, ``LSTM`` and ``GRU``: parameters, checks and the layer loop."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (
            not isinstance(dropout, numbers.Number)
            or not 0 <= dropout <= 1
            or isinstance(dropout, bool)
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        empty = _nd().empty
        names: list[str] = []
        all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * num_directions
            for direction in range(num_directions):
                suffix = f"l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {
                    f"weight_ih_{suffix}": (gate_size, layer_input),
                    f"weight_hh_{suffix}": (gate_size, real_hidden),
                }
                if bias:
                    shapes[f"bias_ih_{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_{suffix}"] = (gate_size,)
                if proj_size > 0:
                    shapes[f"weight_hr_{suffix}"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(empty(*shape, device=device, dtype=dtype)))
                names.extend(shapes)
                all_weights.append(list(shapes))
        self._flat_weights_names = names
        self._all_weights = all_weights
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Any]:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch code (cuDNN's packed weights do not exist here)."""

    def reset_parameters(self) -> None:
        """Every parameter from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        _reset_uniform(self)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- checks, as PyTorch words them -------------------------------------------------------
    def check_input(self, input: Any, batch_sizes: Any = None) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )

    def _layers_and_batch(self, input: Any) -> tuple[int, int]:
        """The first two sizes of a state: ``num_layers * num_directions`` and the batch."""
        mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        return self.num_layers * num_directions, mini_batch

    def get_expected_hidden_size(self, input: Any, batch_sizes: Any = None) -> tuple[int, int, int]:
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (*self._layers_and_batch(input), size)

    def check_hidden_size(
        self, hx: Any, expected_hidden_size: tuple, msg: str = "Expected hidden size {}, got {}"
    ) -> None:
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input: Any, hidden: Any, batch_sizes: Any = None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    # -- the computation ---------------------------------------------------------------------
    def _prepare(self, input: Any, name: str) -> tuple[Any, bool, int]:
        if type(input).__name__ == "PackedSequence":
            raise NotImplementedError(
                f"{name}: PackedSequence input is not supported by ndgrad yet; hint: pad the "
                "sequences and pass a (T, B, *) tensor"
            )
        if input.dim() not in (2, 3):
            if name == "RNN":
                raise ValueError(
                    f"RNN: Expected input to be 2D or 3D, got {input.dim()}D tensor instead"
                )
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        return (input if is_batched else input.unsqueeze(batch_dim)), is_batched, batch_dim

    def _forward_one_state(self, input: Any, hx: Any, name: str) -> tuple[Any, Any]:
        """RNN's and GRU's forward: one state tensor ``h``."""
        x, is_batched, batch_dim = self._prepare(input, name)
        if not is_batched and hx is not None:
            if hx.dim() != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor"
                )
            hx = hx.unsqueeze(1)
        elif is_batched and hx is not None and hx.dim() != 3:
            raise RuntimeError(
                f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor"
            )
        if hx is None:
            hx = self._zeros(x, self.hidden_size)
        self.check_forward_args(x, hx)
        output, hidden, _ = self._run(x, hx)
        if not is_batched:
            output, hidden = output.squeeze(batch_dim), hidden.squeeze(1)
        return output, hidden

    def _zeros(self, input: Any, size: int) -> Any:
        layers, batch = self._layers_and_batch(input)
        return _nd().zeros(layers, batch, size, dtype=input.dtype, device=input.device)

    def _run(self, input: Any, h0: Any, c0: Any = None) -> tuple[Any, Any, Any]:
        """All layers and directions over ``input`` ``(T, B, in)`` (or batch-first).

        Returns ``(output, h_n, c_n)`` (``c_n`` None unless LSTM).
        """
        nd = _nd()
        x = input.transpose(0, 1) if self.batch_first else input
        num_directions = 2 if self.bidirectional else 1
        steps = x.shape[0]
        h_last: list[Any] = []
        c_last: list[Any] = []
        weights = self.all_weights
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                idx = layer * num_directions + direction
                params = weights[idx]
                w_ih, w_hh = params[0], params[1]
                b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
                w_hr = params[-1] if self.proj_size > 0 else None
                xw = F.linear(x, w_ih, b_ih)
                h = h0[idx]
                c = c0[idx] if c0 is not None else None
                order = range(steps - 1, -1, -1) if direction == 1 else range(steps)
                seq: list[Any] = [None] * steps
                for t in order:
                    if self.mode == "LSTM":
                        h, c = _lstm_step(xw[t], h, c, w_hh, b_hh, w_hr)
                    elif self.mode == "GRU":
                        h = _gru_step(xw[t], h, w_hh, b_hh)
                    else:
                        h = _rnn_step(self.mode, xw[t], h, w_hh, b_hh)
                    seq[t] = h
                outs.append(nd.stack(seq, 0))
                h_last.append(h)
                c_last.append(c)
            x = outs[0] if num_directions == 1 else nd.cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x.transpose(0, 1) if self.batch_first else x
        h_n = nd.stack(h_last, 0)
        c_n = nd.stack(c_last, 0) if c0 is not None else None
        return output, h_n, c_n


class RNN(RNNBase):
    """A multi-layer Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or
    ``relu``), over ``(T, B, input_size)`` input (``(B, T, ...)`` with ``batch_first``, or
    unbatched ``(T, input_size)``). Returns ``(output, h_n)``: ``output`` holds the last layer's
    ``h_t`` for every ``t`` (both directions concatenated), ``h_n`` each layer's final state.

    Signature: ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.RNN(3, 4, num_layers=2)
        >>> out, h_n = m(ndgrad.ones(5, 2, 3))
        >>> out.shape, h_n.shape
        (ndgrad.Size([5, 2, 4]), ndgrad.Size([2, 2, 4]))
        >>> sorted(m.state_dict())[:2]
        ['bias_hh_l0', 'bias_hh_l1']
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        return self._forward_one_state(input, hx, "RNN")


class LSTM(RNNBase):
    """A multi-layer long short-term memory network (gates ``i, f, g, o``); returns
    ``(output, (h_n, c_n))``. With ``proj_size > 0`` each ``h_t`` is projected to ``proj_size``
    by ``weight_hr_l{k}``.

    Signature: ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.LSTM(3, 4, bidirectional=True, batch_first=True)
        >>> out, (h_n, c_n) = m(ndgrad.ones(2, 5, 3))
        >>> out.shape, h_n.shape, c_n.shape
        (ndgrad.Size([2, 5, 8]), ndgrad.Size([2, 2, 4]), ndgrad.Size([2, 2, 4]))
        >>> m
        LSTM(3, 4, batch_first=True, bidirectional=True)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Any, batch_sizes: Any = None) -> tuple[int, int, int]:
        return (*self._layers_and_batch(input), self.hidden_size)

    def check_forward_args(self, input: Any, hidden: Any, batch_sizes: Any = None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(
            hidden[0],
            self.get_expected_hidden_size(input, batch_sizes),
            "Expected hidden[0] size {}, got {}",
        )
        self.check_hidden_size(
            hidden[1],
            self.get_expected_cell_size(input, batch_sizes),
            "Expected hidden[1] size {}, got {}",
        )

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, tuple[Any, Any]]:
        x, is_batched, batch_dim = self._prepare(input, "LSTM")
        if hx is None:
            real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(x, real_hidden), self._zeros(x, self.hidden_size))
        elif is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError(
                    "For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError(
                    "For unbatched 2-D input, hx and cx should also be 2-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(x, hx)
        output, h_n, c_n = self._run(x, hx[0], hx[1])
        if not is_batched:
            output, h_n, c_n = output.squeeze(batch_dim), h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """A multi-layer gated recurrent unit network (gates ``r, z, n``); returns
    ``(output, h_n)``.

    Signature: ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.GRU(3, 4)
        >>> [tuple(p.shape) for p in m.parameters()]
        [(12, 3), (12, 4), (12,), (12,)]
        >>> m(ndgrad.ones(5, 3))[1].shape
        ndgrad.Size([1, 4])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        return self._forward_one_state(input, hx, "GRU")


class RNNCellBase(Module):
    """The shared body of the cells: ``weight_ih`` ``(G*H, in)``, ``weight_hh`` ``(G*H, H)``,
    ``bias_ih``/``bias_hh`` ``(G*H,)``, all from ``U(-1/sqrt(H), 1/sqrt(H))``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        empty = _nd().empty
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(gates, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(empty(gates, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(gates, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(gates, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        """Every parameter from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        _reset_uniform(self)

    def _batched(self, name: str, input: Any, hx: Any, what: str = "hidden") -> bool:
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {hx.dim()}D instead")
        return input.dim() == 2

    def _zeros(self, input: Any) -> Any:
        return _nd().zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)

    def _cell_forward(self, name: str, input: Any, hx: Any, step: Callable[[Any, Any], Any]) -> Any:
        """The ``RNNCell``/``GRUCell`` forward: checks, a batch of one for unbatched input,
        a zero ``hx`` by default, then ``step(x, h)``."""
        is_batched = self._batched(name, input, hx)
        x = input if is_batched else input.unsqueeze(0)
        hx = self._zeros(x) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        ret = step(x, hx)
        return ret if is_batched else ret.squeeze(0)


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ``relu``).

    Example:
        >>> import ndgrad
        >>> cell = ndgrad.nn.RNNCell(3, 2, nonlinearity="relu")
        >>> cell
        RNNCell(3, 2, nonlinearity=relu)
        >>> cell(ndgrad.ones(4, 3)).shape
        ndgrad.Size([4, 2])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Any:
        return self._cell_forward("RNNCell", input, hx, self._step)

    def _step(self, x: Any, h: Any) -> Any:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        return _rnn_step(mode, xw, h, self.weight_hh, self.bias_hh)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``hx = (h, c)``, returns ``(h', c')``.

    Example:
        >>> import ndgrad
        >>> h, c = ndgrad.nn.LSTMCell(3, 2)(ndgrad.ones(3))
        >>> h.shape, c.shape
        (ndgrad.Size([2]), ndgrad.Size([2]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(
                        f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead"
                    )
        is_batched = input.dim() == 2
        x = input if is_batched else input.unsqueeze(0)
        if hx is None:
            zeros = self._zeros(x)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(xw, hx[0], hx[1], self.weight_hh, self.bias_hh, None)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns ``h'``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.GRUCell(3, 2)(ndgrad.ones(4, 3), ndgrad.zeros(4, 2)).shape
        ndgrad.Size([4, 2])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:
        return self._cell_forward("GRUCell", input, hx, self._step)

    def _step(self, x: Any, h: Any) -> Any:
        xw = F.linear(x, self.weight_ih, self.bias_ih)
        return _gru_step(xw, h, self.weight_hh, self.bias_hh)
