"""The wire between the judge (pytest and the tests) and the learner's process.

The judge never imports the learner's code. ``course_harness.submission()`` returns a proxy of
the learner's module; every use of it (a call, an attribute, iteration, ``len``…) is a request
over a socket to the learner's process, which runs the code and answers with *data*:

- plain values (numbers, strings, lists, tuples, dicts, ``None``…) and tensors are copied;
- anything else (a function, a model, an optimizer) stays where it is and the other side gets a
  handle: a proxy whose uses travel back as requests.

Nothing received is ever executed: messages are JSON plus raw tensor bytes, decoded by this
module alone (no pickle). The learner's process can send only answers and requests on objects
the judge handed it; the judge serves those only for public names (no ``_`` attributes), so its
own state (the result stream, the metric gate, the tests' globals) is out of reach.

What keeps the tests unchanged:

- **Shared tensors.** A leaf tensor that crosses keeps one identity on both sides (its ``sid``).
  Before each message a side sends what changed in the shared tensors it holds (in-place writes,
  ``.grad``, ``requires_grad``), so an optimizer stepping in the judge updates the learner's
  parameters, and a learner function writing into its argument updates the judge's tensor.
- **Autograd across the wire.** A learner result connected to autograd comes back wrapped in
  :class:`RemoteGraph`, whose backward sends the output gradients and receives the gradients of
  the shared tensors (and arguments) the result depends on.
- **One random stream.** Torch's, Python's and NumPy's generator states travel with every
  message, so seeding in a test seeds the learner's code as if it ran in the same process.
- **Grad mode, autocast and the default dtype** of the caller apply to the call.
- **Patches.** ``monkeypatch.setattr(torch, "softmax", spy)`` in a test is mirrored into the
  learner's process (see the harness ``conftest``), with the spy running in the judge.
"""
from __future__ import annotations

import builtins
import collections
import dis
import gc
import importlib
import inspect
import io
import itertools
import json
import marshal
import math
import os
import pathlib
import socket
import struct
import sys
import traceback
import types
import weakref

import torch

from contract import ENV_BRIDGE_FD, ENV_SUBMISSION_SOURCE, EXIT_OUTPUT_LIMIT

HEADER = struct.Struct("!II")
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_BLOB_BYTES = 1536 * 1024 * 1024
MAX_CAPTURED_CHARS = 64 * 1024
MAX_GRAPHS = 256
CONTENT_CHECK_ELEMENTS = 1 << 18
UNREFERENCED = 3
LEARNER_MODULE = "submission"
BRIDGE_FD_ENV = ENV_BRIDGE_FD
SOURCE_ENV = ENV_SUBMISSION_SOURCE
# What the learner's side may ask of a judge object, besides public attributes.
SERVED_OPS = frozenset({"len", "iter", "next", "getitem", "setitem", "contains", "bool", "repr", "str", "float",
                        "int", "index", "eq", "ne", "lt", "le", "gt", "ge", "hash", "add", "sub", "mul", "truediv"})
BINARY = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "truediv": "__truediv__",
          "floordiv": "__floordiv__", "mod": "__mod__", "pow": "__pow__", "matmul": "__matmul__",
          "radd": "__radd__", "rsub": "__rsub__", "rmul": "__rmul__", "rtruediv": "__rtruediv__",
          "rpow": "__rpow__", "rmatmul": "__rmatmul__", "eq": "__eq__", "ne": "__ne__", "lt": "__lt__",
          "le": "__le__", "gt": "__gt__", "ge": "__ge__", "and": "__and__", "or": "__or__"}
BUILTIN_ERRORS = {name: obj for name, obj in vars(builtins).items()
                  if isinstance(obj, type) and issubclass(obj, BaseException)}


class BridgeError(RuntimeError):
    """The learner's process broke the protocol, died, or was asked something it cannot do."""


class LearnerError(Exception):
    """An exception of a class the learner's code defined (the judge cannot rebuild it)."""


def _torch_name(module: str | None) -> bool:
    return bool(module) and (module == "torch" or module.startswith("torch."))


# ---------------------------------------------------------------------------------------------- tensors


class _Entry:
    """A shared tensor as one side holds it. The side it came from (``origin``) keeps it until
    the other side lets go; the other side lets go, and says so, in the first message it sends
    once nothing but this entry refers to its copy (after that message carried its last writes)."""

    __slots__ = ("ref", "origin", "snap", "last")

    def __init__(self, tensor: torch.Tensor, origin: bool) -> None:
        self.origin = origin
        self.ref = tensor
        self.mark(tensor)

    def get(self) -> torch.Tensor | None:
        return self.ref

    def mark(self, tensor: torch.Tensor) -> None:
        """Remember the tensor as the other side now knows it."""
        self.snap = _snapshot(tensor)
        # Writes through ``.data`` do not bump the version counter: small tensors are compared
        # by value too (large ones rely on the counter).
        self.last = tensor.detach().clone() if tensor.numel() <= CONTENT_CHECK_ELEMENTS else None

    def changed(self, tensor: torch.Tensor, snap: tuple) -> bool:
        if snap != self.snap:
            return True
        last = self.last
        if last is None:
            return False
        now = tensor.detach()
        if torch.equal(now, last):
            return False
        # NaN is not equal to itself: a tensor holding NaN has not changed because of that.
        return not ((now.is_floating_point() or now.is_complex()) and now.shape == last.shape
                    and torch.allclose(now, last, rtol=0, atol=0, equal_nan=True))


def _snapshot(t: torch.Tensor) -> tuple:
    grad = t.grad if t.is_leaf else None
    # Inference-mode tensors keep no version counter: their values are compared instead.
    return (t._version if not t.is_inference() else -1, t.data_ptr(), tuple(t.shape), t.dtype, t.requires_grad,
            id(grad) if grad is not None else 0, grad._version if grad is not None else -1,
            grad.data_ptr() if grad is not None else 0)


def _raw(t: torch.Tensor, blobs: list[bytes], size: list[int]) -> dict:
    """A tensor's values as a blob reference (no identity, no autograd)."""
    data = t.detach()
    device = str(data.device)
    data = data.cpu().contiguous()
    # A view of the tensor's bytes, not a copy: it is written to the socket as it is.
    raw = memoryview(data.reshape(-1).view(torch.uint8).numpy()) if data.numel() else b""
    record = {"dt": str(data.dtype).removeprefix("torch."), "sh": list(data.shape), "o": size[0], "n": len(raw)}
    if device != "cpu":
        record["dev"] = device
    blobs.append(raw)
    size[0] += len(raw)
    if size[0] > MAX_BLOB_BYTES:
        raise BridgeError("a message larger than 1.5 GB cannot cross to the judge")
    return record


def _from_raw(record: dict, blob: memoryview) -> torch.Tensor:
    dtype = getattr(torch, str(record["dt"]), None)
    if not isinstance(dtype, torch.dtype):
        raise BridgeError(f"unknown dtype {record['dt']!r}")
    shape = [int(s) for s in record["sh"]]
    start, length = int(record["o"]), int(record["n"])
    if start < 0 or length < 0 or start + length > len(blob):
        raise BridgeError("tensor bytes out of range")
    # A tensor of its own (not a view of the message), so ``detach_()`` and resizing work on it.
    tensor = torch.empty(shape, dtype=dtype)
    if tensor.numel() * tensor.element_size() != length:
        raise BridgeError("tensor bytes do not match its shape")
    if length:
        tensor.reshape(-1).view(torch.uint8).copy_(torch.frombuffer(blob[start:start + length], dtype=torch.uint8))
    if "dev" in record:
        tensor = tensor.to(str(record["dev"]))
    return tensor


# ---------------------------------------------------------------------------------------------- proxies


class RemoteObject:
    """An object living on the other side; every use is a request."""

    __slots__ = ("_peer", "_hid", "_desc", "__weakref__")

    def __getattribute__(self, name):
        if name in ("_peer", "_hid", "_desc", "__class__", "__dict__", "__slots__") or name in _LOCAL_DUNDERS:
            return object.__getattribute__(self, name)
        if name == "__signature__":
            desc = object.__getattribute__(self, "_desc")
            return _build_signature(desc["sig"]) if desc.get("sig") is not None else None
        peer = object.__getattribute__(self, "_peer")
        return peer.request("getattr", h=object.__getattribute__(self, "_hid"), name=name)

    def __setattr__(self, name, value):
        if name in ("_peer", "_hid", "_desc"):
            return object.__setattr__(self, name, value)
        self._peer.request("setattr", h=self._hid, name=name, value=value)

    def __delattr__(self, name):
        self._peer.request("delattr", h=self._hid, name=name)

    def __call__(self, *args, **kwargs):
        return self._peer.request("call", h=self._hid, args=list(args), kwargs=kwargs)

    def __repr__(self):
        return self._peer.request("op", h=self._hid, opname="repr", args=[])

    def __str__(self):
        return self._peer.request("op", h=self._hid, opname="str", args=[])

    def __len__(self):
        return self._peer.request("op", h=self._hid, opname="len", args=[])

    def __iter__(self):
        return self._peer.request("op", h=self._hid, opname="iter", args=[])

    def __next__(self):
        return self._peer.request("op", h=self._hid, opname="next", args=[])

    def __getitem__(self, key):
        return self._peer.request("op", h=self._hid, opname="getitem", args=[key])

    def __setitem__(self, key, value):
        self._peer.request("op", h=self._hid, opname="setitem", args=[key, value])

    def __delitem__(self, key):
        self._peer.request("op", h=self._hid, opname="delitem", args=[key])

    def __contains__(self, item):
        return self._peer.request("op", h=self._hid, opname="contains", args=[item])

    def __bool__(self):
        return self._peer.request("op", h=self._hid, opname="bool", args=[])

    def __hash__(self):
        return self._peer.request("op", h=self._hid, opname="hash", args=[])

    def __float__(self):
        return self._peer.request("op", h=self._hid, opname="float", args=[])

    def __int__(self):
        return self._peer.request("op", h=self._hid, opname="int", args=[])

    def __index__(self):
        return self._peer.request("op", h=self._hid, opname="index", args=[])

    def __neg__(self):
        return self._peer.request("op", h=self._hid, opname="neg", args=[])

    def __enter__(self):
        return self._peer.request("op", h=self._hid, opname="enter", args=[])

    def __exit__(self, *exc):
        return self._peer.request("op", h=self._hid, opname="exit", args=[None, None, None])

    def __instancecheck__(self, instance):
        return self._peer.request("op", h=self._hid, opname="instancecheck", args=[instance])

    def __subclasscheck__(self, cls):
        return self._peer.request("op", h=self._hid, opname="subclasscheck", args=[cls])

    def __deepcopy__(self, memo):
        return self._peer.request("op", h=self._hid, opname="deepcopy", args=[])

    def __copy__(self):
        return self._peer.request("op", h=self._hid, opname="copy", args=[])

    def __dir__(self):
        return self._peer.request("op", h=self._hid, opname="dir", args=[])

    def __reduce_ex__(self, protocol):
        raise TypeError("an object of the learner's code cannot be pickled in the judge")

    def __del__(self):
        try:
            peer = object.__getattribute__(self, "_peer")
            peer.released.append(object.__getattribute__(self, "_hid"))
        except Exception:
            pass


def _binary(op: str):
    def method(self, other):
        return self._peer.request("op", h=self._hid, opname=op, args=[other])
    method.__name__ = BINARY[op]
    return method


for _op, _dunder in BINARY.items():
    setattr(RemoteObject, _dunder, _binary(_op))
_LOCAL_DUNDERS = frozenset(n for n in dir(RemoteObject) if n.startswith("__") and n.endswith("__")) - {
    "__doc__", "__module__", "__name__", "__qualname__", "__signature__", "__init__", "__wrapped__",
    "__annotations__", "__defaults__", "__func__", "__self__", "__code__", "__file__", "__dict__"} | {"__class__"}


class LearnerModule(types.ModuleType):
    """The learner's module as the judge sees it: attributes come from the learner's process;
    ``__file__`` is a read-only copy of its source, for tests that read the source (never run here)."""

    def __init__(self, peer: "Peer", hid: int, source_file: str | None) -> None:
        super().__init__(LEARNER_MODULE)
        own = vars(self)
        own["_peer"], own["_hid"] = peer, hid
        if source_file:
            own["__file__"] = source_file

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return vars(self)["_peer"].request("getattr", h=vars(self)["_hid"], name=name)

    def __setattr__(self, name, value):
        if name.startswith("__"):
            vars(self)[name] = value
            return
        self._peer.request("setattr", h=self._hid, name=name, value=value)

    def __delattr__(self, name):
        self._peer.request("delattr", h=self._hid, name=name)

    def __dir__(self):
        return self._peer.request("op", h=self._hid, opname="dir", args=[])


_PROXY_CLASSES: dict[tuple, type] = {}


def _proxy_class(desc: dict) -> type:
    """A proxy class per remote class: torch bases are kept (``isinstance(model, nn.Module)``
    holds), but every attribute still goes to the other side (``RemoteObject`` comes first)."""
    bases = []
    for module, qualname in desc.get("tb", ()):
        try:
            obj = _resolve(module, qualname)
        except Exception:
            continue
        if isinstance(obj, type) and obj not in bases and obj is not object:
            bases.append(obj)
    key = (str(desc.get("c")), tuple(bases))
    cls = _PROXY_CLASSES.get(key)
    if cls is None:
        try:
            cls = type(str(desc.get("c") or "Remote"), (RemoteObject, *bases), {"__slots__": ()})
        except TypeError:  # an incompatible layout (a C type with slots): keep the plain proxy
            cls = type(str(desc.get("c") or "Remote"), (RemoteObject,), {"__slots__": ()})
        _PROXY_CLASSES[key] = cls
    return cls


def _resolve(module: str, qualname: str):
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _signature_of(obj) -> list | None:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = []
    for p in sig.parameters.values():
        default = p.default
        if default is not inspect.Parameter.empty and not isinstance(
                default, (type(None), bool, int, float, str, tuple)):
            default = repr(default)
        params.append([p.name, int(p.kind), default is not inspect.Parameter.empty,
                       default if default is not inspect.Parameter.empty else None])
    return params


def _build_signature(params: list) -> inspect.Signature | None:
    try:
        return inspect.Signature([
            inspect.Parameter(str(name), inspect._ParameterKind(int(kind)),
                              default=_plain_default(default) if has_default else inspect.Parameter.empty)
            for name, kind, has_default, default in params])
    except (TypeError, ValueError):
        return None


def _plain_default(value):
    return tuple(value) if isinstance(value, list) else value


class _Capture(io.StringIO):
    """What the learner's code prints while it serves a request (it goes back with the answer,
    so it shows under the test that called). Output past the file-size limit ends the process
    as writing that much to its output file would, so the run reports the output limit."""

    limit: int | None = -1  # the process's file-size limit, read on first use (-1: not yet)

    def __init__(self) -> None:
        super().__init__()
        if _Capture.limit == -1:
            import resource

            found = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
            _Capture.limit = None if found == resource.RLIM_INFINITY else found
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text)
        if self.limit is not None and self.written > self.limit:
            os._exit(EXIT_OUTPUT_LIMIT)
        if self.tell() < MAX_CAPTURED_CHARS:
            return super().write(text[:MAX_CAPTURED_CHARS])
        return len(text)


class RemoteGraph(torch.autograd.Function):
    """Autograd across the wire: forward hands back values the learner's side computed;
    backward asks that side for the gradients of the tensors the result depends on."""

    @staticmethod
    def forward(ctx, link, anchor, *inputs):
        ctx.link = link
        ctx.set_materialize_grads(False)
        outputs = tuple(t.clone() for t in link.outputs)
        undifferentiable = [o for o in outputs if not (o.is_floating_point() or o.is_complex())]
        if undifferentiable:
            ctx.mark_non_differentiable(*undifferentiable)
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        link = ctx.link
        if torch.is_grad_enabled():
            raise RuntimeError("second-order gradients (create_graph=True) through the learner's code are not supported")
        received = link.peer.request("backward", gid=link.gid, grads=list(grads))
        return (None, None, *received)


class _GraphLink:
    """One learner-side graph the judge holds; freeing it frees the learner's graph."""

    def __init__(self, peer: "Peer", gid: int, outputs: list[torch.Tensor]) -> None:
        self.peer, self.gid, self.outputs = peer, gid, outputs

    def __del__(self):
        try:
            self.peer.released_graphs.append(self.gid)
        except Exception:
            pass


_ANCHOR = None


def _anchor() -> torch.Tensor:
    global _ANCHOR
    if _ANCHOR is None:
        _ANCHOR = torch.zeros((), requires_grad=True)
    return _ANCHOR


# ---------------------------------------------------------------------------------------------- the peer


class Peer:
    """One end of the wire. ``side`` is ``"J"`` (the judge) or ``"L"`` (the learner's process)."""

    def __init__(self, sock: socket.socket, side: str) -> None:
        self.sock = sock
        self.side = side
        self.exported: dict[int, object] = {}
        self.export_ids: dict[int, int] = {}
        self.ids = itertools.count(1)
        self.proxies: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.tensors: dict[str, _Entry] = {}
        self.sid_of: dict[int, str] = {}
        # Shared random generators: sid -> [generator, state bytes the other side knows, origin].
        self.generators: dict[str, list] = {}
        self.generator_sid: dict[int, str] = {}
        # Mirrored objects (the judge's torch modules, optimizers… copied to the learner's
        # process): sid -> [object, fingerprint of its state as this side last sent or received it].
        self.mirrors: dict[str, list] = {}
        self.mirror_sid: dict[int, str] = {}
        # The tests' classes sent as code (see ``_enc_class``), kept for the job.
        self.classes: dict[str, type] = {}
        self.class_sid: dict[int, str] = {}
        self._class_cells: list = []
        self.released: list[int] = []
        self.released_tensors: list[str] = []
        self.released_graphs: list[int] = []
        self.graphs: collections.OrderedDict[int, tuple] = collections.OrderedDict()
        self.judge_errors: dict[int, BaseException] = {}
        self.patches: dict[int, list] = {}
        self.random = RandomState()
        self.closed = False
        self._graph_outputs: list | None = None
        self._call_leaves: list[torch.Tensor] | None = None
        self._arg_leaves: list | None = None

    # -- framing

    def _recv_exact(self, n: int) -> bytearray:
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            count = self.sock.recv_into(view[got:], min(n - got, 1 << 22))
            if not count:
                self.closed = True
                raise BridgeError("the other side closed the connection")
            got += count
        return data

    def _recv(self) -> tuple[dict, memoryview]:
        json_len, blob_len = HEADER.unpack(self._recv_exact(HEADER.size))
        if json_len > MAX_JSON_BYTES or blob_len > MAX_BLOB_BYTES:
            raise BridgeError("oversized message")
        message = json.loads(self._recv_exact(json_len))
        blob = memoryview(self._recv_exact(blob_len)) if blob_len else memoryview(b"")
        if not isinstance(message, dict):
            raise BridgeError("malformed message")
        # No garbage collection while the message is applied: a shared tensor's copy must not
        # vanish between the other side naming it and this side reading it.
        enabled = gc.isenabled()
        gc.disable()
        try:
            for sid in message.get("relt", ()):
                self._forget_tensor(str(sid))
            for hid in message.get("rel", ()):
                self._unexport(hid)
            for gid in message.get("relg", ()):
                self.graphs.pop(gid, None)
            self.random.incoming(message.get("rng"), blob)
            self._apply_sync(message.get("sync", ()), blob)
        finally:
            if enabled:
                gc.enable()
        return message, blob

    # -- shared tensors

    def _sync(self, blobs: list[bytes], size: list[int]) -> list:
        updates = []
        for sid, entry in list(self.tensors.items()):
            tensor = entry.ref
            snap = _snapshot(tensor)
            if not entry.changed(tensor, snap):
                # Only this entry, ``tensor`` and getrefcount's argument refer to it: let go
                # (in ``_send_with``, unless the message being sent names it).
                # Parameters are kept: code keys dicts by ``id(param)`` and expects ``layer.weight``
                # to be the same object each time (a model's parameters are few and live long).
                if not entry.origin and sys.getrefcount(tensor) <= UNREFERENCED \
                        and type(tensor) is not torch.nn.Parameter:
                    self.released_tensors.append(sid)
                continue
            old = entry.snap
            update = {"s": sid}
            if snap[:4] != old[:4] or snap == old:
                update["d"] = _raw(tensor, blobs, size)
            if snap[4] != old[4]:
                update["rg"] = snap[4]
            if snap[5:] != old[5:]:
                update["g"] = _raw(tensor.grad, blobs, size) if tensor.grad is not None else None
            entry.mark(tensor)
            updates.append(update)
        for sid, record in list(self.mirrors.items()):
            state, local_blobs, fingerprint = self._mirror_state(record[0])
            if fingerprint != record[1]:
                record[1] = fingerprint
                _rebase(state, size[0])
                blobs.extend(local_blobs)
                size[0] += sum(len(b) for b in local_blobs)
                updates.append({"os": sid, "d": state})
        for sid, record in list(self.generators.items()):
            generator = record[0]
            state = generator.get_state()
            raw = state.numpy().tobytes()
            if raw != record[1]:
                record[1] = raw
                updates.append({"gs": sid, "d": _raw(state, blobs, size)})
            elif not record[2] and sys.getrefcount(generator) <= UNREFERENCED:
                self.released_tensors.append(sid)
        return updates

    def _apply_sync(self, updates, blob) -> None:
        for update in updates:
            if "os" in update:
                record = self.mirrors.get(str(update["os"]))
                if record is not None:
                    own = vars(record[0])
                    new = {str(k): self.decode(v, blob) for k, v in update["d"].items()}
                    for key in [k for k in own if k not in new]:
                        del own[key]
                    for key, value in new.items():
                        own[key] = _merged(own.get(key), value)
                    record[1] = self._mirror_state(record[0])[2]
                continue
            if "gs" in update:
                record = self.generators.get(str(update["gs"]))
                if record is not None:
                    state = _from_raw(update["d"], blob)
                    record[0].set_state(state)
                    record[1] = state.numpy().tobytes()
                continue
            entry = self.tensors.get(str(update.get("s")))
            tensor = entry.get() if entry is not None else None
            if tensor is None:
                continue
            with torch.no_grad():
                if "d" in update:
                    new = _from_raw(update["d"], blob)
                    if new.shape == tensor.shape and new.dtype == tensor.dtype and new.device == tensor.device:
                        tensor.copy_(new)
                    else:
                        tensor.data = new
            if "rg" in update and tensor.is_leaf and tensor.requires_grad != bool(update["rg"]):
                tensor.requires_grad_(bool(update["rg"]))
            if "g" in update and tensor.is_leaf:
                tensor.grad = _from_raw(update["g"], blob) if update["g"] is not None else None
            entry.mark(tensor)

    def _forget_tensor(self, sid: str) -> None:
        record = self.generators.pop(sid, None)
        if record is not None:
            if self.generator_sid.get(id(record[0])) == sid:
                del self.generator_sid[id(record[0])]
            return
        entry = self.tensors.pop(sid, None)
        tensor = entry.get() if entry is not None else None
        if tensor is not None and self.sid_of.get(id(tensor)) == sid:
            del self.sid_of[id(tensor)]

    def _enc_tensor(self, t: torch.Tensor, blobs, size) -> dict:
        sid = self.sid_of.get(id(t))
        if sid is not None:
            entry = self.tensors.get(sid)
            if entry is not None and entry.get() is t:
                record = {"$": "T", "s": sid}
                if t.grad_fn is not None and self._call_leaves is not None:
                    record["cl"] = len(self._call_leaves)
                    self._call_leaves.append(t)
                return record
            self.sid_of.pop(id(t), None)
        if t.layout != torch.strided or t.is_nested or t.device.type == "meta":
            raise TypeError("not a plain tensor")
        record = {"$": "T", **_raw(t, blobs, size), "rg": t.requires_grad}
        if isinstance(t, torch.nn.Parameter):
            record["p"] = 1
        if t.grad_fn is not None:
            if self._graph_outputs is not None:
                record["go"] = len(self._graph_outputs)
                self._graph_outputs.append(t)
                return record
            if self._call_leaves is None:
                return record
            # An argument of a call: the other side gets a leaf copy whose gradient comes back
            # here, and a name for this tensor (a hook it registers on its copy lands on this one).
            record["cl"] = len(self._call_leaves)
            self._call_leaves.append(t)
        sid = f"{self.side}{next(self.ids)}"
        record["s"] = sid
        self.tensors[sid] = _Entry(t, origin=True)
        self.sid_of[id(t)] = sid
        if t.is_leaf and t.grad is not None:
            record["g"] = _raw(t.grad, blobs, size)
        return record

    def _owner_handle(self, value) -> dict | None:
        """A proxy (or function stub) of the other side's object goes back as that object's handle,
        so it is the object itself over there, not a proxy of a proxy."""
        if isinstance(value, (RemoteObject, LearnerModule)):
            peer, hid = object.__getattribute__(value, "_peer"), object.__getattribute__(value, "_hid")
        elif type(value) is types.FunctionType and "__bridge__" in value.__dict__:
            peer, hid = value.__dict__["__bridge__"]
        else:
            return None
        if peer is not self:
            return None
        return {"$": "h", "s": "L" if self.side == "J" else "J", "id": hid}

    def _enc_generator(self, generator: torch.Generator, blobs, size) -> dict:
        """A generator crosses as its state and stays one stream: draws on either side advance
        both (the state travels in the sync data of every message, like a shared tensor's)."""
        sid = self.generator_sid.get(id(generator))
        if sid is not None and self.generators.get(sid, [None])[0] is generator:
            return {"$": "G", "s": sid}
        sid = f"{self.side}g{next(self.ids)}"
        state = generator.get_state()
        self.generators[sid] = [generator, state.numpy().tobytes(), True]
        self.generator_sid[id(generator)] = sid
        return {"$": "G", "s": sid, "dev": str(generator.device), "st": _raw(state, blobs, size)}

    def _mirror_state(self, obj) -> tuple[dict, list[bytes], tuple]:
        """A mirrored object's attributes encoded (tensor bytes from offset 0), and a fingerprint
        that changes when they do."""
        local_blobs: list[bytes] = []
        local_size = [0]
        state = {key: self.encode(value, local_blobs, local_size, 1) for key, value in vars(obj).items()}
        text = json.dumps(state, allow_nan=True, separators=(",", ":"))
        return state, local_blobs, (text, hash(b"".join(local_blobs)))

    def _enc_mirror(self, obj, blobs, size) -> dict:
        """The judge's torch object (an ``nn.Linear``, an optimizer, a data loader…) crosses as a
        copy, and the two copies stay one object: tensors in it are shared, and whenever its
        attributes change on one side the next message carries them (a learner's training loop
        steps the judge's model and optimizer; ``train()``/``eval()`` reach back). It comes back
        as itself."""
        sid = f"{self.side}o{next(self.ids)}"
        record = [obj, None]
        self.mirror_sid[id(obj)] = sid
        self.mirrors[sid] = record
        state, local_blobs, record[1] = self._mirror_state(obj)
        _rebase(state, size[0])
        blobs.extend(local_blobs)
        size[0] += sum(len(b) for b in local_blobs)
        cls = type(obj)
        if _torch_name(cls.__module__):
            return {"$": "O", "s": sid, "c": [cls.__module__, cls.__qualname__], "d": state}
        return {"$": "O", "s": sid, "k": self._enc_class(cls, blobs, size, 1), "d": state}

    def _dec_mirror(self, record: dict, blob):
        sid = str(record.get("s"))
        known = self.mirrors.get(sid)
        if known is not None:
            return known[0]
        if self.side == "J" or "d" not in record:  # the judge builds nothing the learner describes
            raise BridgeError(f"object {sid} is not known here")
        if "k" in record:  # a class of the tests, sent as code by the judge
            cls = self._dec_class(record["k"], blob)
        else:
            module_name, qualname = (str(part) for part in record["c"])
            cls = _resolve(module_name, qualname)
            if not (isinstance(cls, type) and _mirrorable_class(cls)):
                raise BridgeError(f"{cls!r} cannot be mirrored")
        obj = cls.__new__(cls)
        entry = [obj, None]
        self.mirrors[sid] = entry
        self.mirror_sid[id(obj)] = sid
        own = vars(obj)
        for key, value in record["d"].items():
            own[str(key)] = self.decode(value, blob)
        entry[1] = self._mirror_state(obj)[2]
        return obj

    def _enc_function(self, fn: types.FunctionType, blobs, size, depth: int, owner: type | None = None) -> dict | None:
        """A test's pure function (``lambda t: torch.sin(t) * t ** 2``) crosses as code and runs
        in the learner's process, so the learner's autograd and ``torch.func`` transforms see
        through it. Only the judge sends code, and only code that cannot change the judge's state:
        it writes no global or outer variable and reads only immutable values, tensors, library
        modules and functions, and other such functions. Anything else stays a handle."""
        if not _pure_function(fn, owner):
            return None
        env = {name: fn.__globals__[name] for name in sorted(_loads(fn.__code__)) if name in fn.__globals__}
        cells = [cell.cell_contents for cell in fn.__closure__ or ()]
        # ``super()`` in a method reads its class from the ``__class__`` cell: filled over there.
        own = [i for i, name in enumerate(fn.__code__.co_freevars) if name == "__class__" and cells[i] is owner]
        defaults = list(fn.__defaults__ or ())
        kwdefaults = dict(fn.__kwdefaults__ or {})
        encoded = {key: self.encode(value, blobs, size, depth + 1) for key, value in
                   (("g", env), ("c", [None if i in own else v for i, v in enumerate(cells)]),
                    ("d", defaults), ("kd", kwdefaults))}
        return {"$": "F", "code": marshal.dumps(fn.__code__).hex(), "n": fn.__name__, "own": own, **encoded}

    def _dec_function(self, record: dict, blob) -> types.FunctionType:
        if self.side == "J":  # the judge runs no code it receives
            raise BridgeError("code does not cross to the judge")
        code = marshal.loads(bytes.fromhex(str(record["code"])))
        env = {"__builtins__": builtins, "__name__": "judge"}
        env.update(self.decode(record["g"], blob))
        own = {int(i) for i in record.get("own", ())}
        cells = tuple(types.CellType() if i in own else types.CellType(v)
                      for i, v in enumerate(self.decode(record["c"], blob)))
        self._class_cells.extend(cells[i] for i in own if i < len(cells))
        fn = types.FunctionType(code, env, str(record.get("n", "f")), tuple(self.decode(record["d"], blob)) or None,
                                cells or None)
        fn.__kwdefaults__ = self.decode(record["kd"], blob) or None
        return fn

    def _enc_class(self, cls: type, blobs, size, depth: int) -> dict:
        """A test's own class (a model wrapper, a module written for the test) crosses as code,
        so its objects can be mirrored and run where the learner's code runs (``torch.compile``
        traces it; a training loop calls it without a round trip). See ``_sendable_class``."""
        sid = self.class_sid.get(id(cls))
        if sid is not None and self.classes.get(sid) is cls:
            return {"$": "C", "s": sid}
        sid = f"{self.side}c{next(self.ids)}"
        self.class_sid[id(cls)] = sid
        self.classes[sid] = cls
        members = []
        for key, value in cls.__dict__.items():
            if key in _CLASS_BOOKKEEPING:
                continue
            members.append([key, self._enc_member(value, cls, blobs, size, depth)])
        return {"$": "C", "s": sid, "n": cls.__name__, "q": cls.__qualname__, "m": cls.__module__,
                "b": [self.encode(base, blobs, size, depth + 1) for base in cls.__bases__], "d": members}

    def _enc_member(self, value, cls, blobs, size, depth):
        if type(value) is types.FunctionType:
            return self._enc_function(value, blobs, size, depth + 1, owner=cls)
        if isinstance(value, (staticmethod, classmethod)):
            return {"$": "sm" if isinstance(value, staticmethod) else "cm",
                    "f": self._enc_function(value.__func__, blobs, size, depth + 1, owner=cls)}
        if isinstance(value, property):
            return {"$": "prop", "f": [self._enc_function(f, blobs, size, depth + 1, owner=cls) if f else None
                                       for f in (value.fget, value.fset, value.fdel)]}
        return self.encode(value, blobs, size, depth + 1)

    def _dec_class(self, record: dict, blob) -> type:
        if self.side == "J":  # the judge runs no code it receives
            raise BridgeError("code does not cross to the judge")
        sid = str(record.get("s"))
        if sid in self.classes:
            return self.classes[sid]
        if "d" not in record:
            raise BridgeError(f"class {sid} is not known here")
        bases = tuple(self.decode(b, blob) for b in record["b"])
        outer, self._class_cells = self._class_cells, []
        try:
            namespace = {"__module__": str(record["m"]), "__qualname__": str(record["q"])}
            for key, value in record["d"]:
                namespace[str(key)] = self._dec_member(value, blob)
            cls = type(str(record["n"]), bases, namespace)
            for cell in self._class_cells:
                cell.cell_contents = cls
        finally:
            self._class_cells = outer
        self.classes[sid] = cls
        self.class_sid[id(cls)] = sid
        return cls

    def _dec_member(self, value, blob):
        tag = value.get("$") if isinstance(value, dict) else None
        if tag in ("sm", "cm"):
            fn = self.decode(value["f"], blob)
            return staticmethod(fn) if tag == "sm" else classmethod(fn)
        if tag == "prop":
            return property(*(self.decode(f, blob) if f is not None else None for f in value["f"]))
        return self.decode(value, blob)

    def _dec_generator(self, record: dict, blob) -> torch.Generator:
        sid = str(record.get("s"))
        known = self.generators.get(sid)
        if known is not None:
            return known[0]
        if "st" not in record:
            raise BridgeError(f"shared generator {sid} is not known here")
        generator = torch.Generator(device=str(record.get("dev", "cpu")))
        state = _from_raw(record["st"], blob)
        generator.set_state(state)
        self.generators[sid] = [generator, state.numpy().tobytes(), False]
        self.generator_sid[id(generator)] = sid
        return generator

    def _dec_tensor(self, record: dict, blob) -> torch.Tensor:
        sid = record.get("s")
        if sid is not None and "dt" not in record:
            entry = self.tensors.get(str(sid))
            tensor = entry.get() if entry is not None else None
            if tensor is None:
                raise BridgeError(f"shared tensor {sid} is not known here")
            if "cl" in record and self._arg_leaves is not None:
                self._arg_leaves.append((int(record["cl"]), tensor))
            return tensor
        tensor = _from_raw(record, blob)
        requires_grad = bool(record.get("rg")) and (tensor.is_floating_point() or tensor.is_complex())
        if record.get("p"):
            tensor = torch.nn.Parameter(tensor, requires_grad=requires_grad)
        elif requires_grad:
            tensor.requires_grad_(True)
        if "g" in record:
            tensor.grad = _from_raw(record["g"], blob)
        if "cl" in record and self._arg_leaves is not None:
            self._arg_leaves.append((int(record["cl"]), tensor))
        if sid is not None:
            sid = str(sid)
            self.tensors[sid] = _Entry(tensor, origin=False)
            self.sid_of[id(tensor)] = sid
        if "go" in record and self._graph_outputs is not None:
            self._graph_outputs.append((int(record["go"]), tensor))
        return tensor

    # -- values

    def encode(self, value, blobs: list[bytes], size: list[int], depth: int = 0):
        if depth > 200:
            raise BridgeError("a value nested more than 200 levels deep cannot cross")
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if t is int:
            return value if abs(value) < 2 ** 63 else {"$": "bigint", "v": str(value)}
        if t is float:
            return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
        if t is list:
            return [self.encode(v, blobs, size, depth + 1) for v in value]
        if t is dict or t is collections.OrderedDict or t is collections.defaultdict:
            record = {"$": "dict", "od": t is collections.OrderedDict,
                      "i": [[self.encode(k, blobs, size, depth + 1), self.encode(v, blobs, size, depth + 1)]
                            for k, v in value.items()]}
            if t is collections.defaultdict:
                record["dd"] = self.encode(value.default_factory, blobs, size, depth + 1)
            return record
        if isinstance(value, torch.Tensor) and value.device.type == "meta" and value.layout == torch.strided \
                and type(value) in (torch.Tensor, torch.nn.Parameter):
            # No values to copy: shape, dtype and autograd flag are the whole tensor.
            return {"$": "meta", "dt": str(value.dtype).removeprefix("torch."), "sh": list(value.shape),
                    "rg": value.requires_grad, "p": isinstance(value, torch.nn.Parameter)}
        if isinstance(value, torch.Tensor):
            try:
                return self._enc_tensor(value, blobs, size)
            except TypeError:
                return self._export(value)
        if t is tuple:
            return {"$": "tuple", "i": [self.encode(v, blobs, size, depth + 1) for v in value]}
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return {"$": "ntuple", "n": t.__name__, "f": list(value._fields),
                    "i": [self.encode(v, blobs, size, depth + 1) for v in value]}
        if _torch_name(t.__module__) and t.__module__ == "torch.return_types":
            return {"$": "rtype", "n": t.__name__, "i": [self.encode(v, blobs, size, depth + 1) for v in value]}
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return self.encode(int(value), blobs, size, depth)
        if isinstance(value, float):
            return self.encode(float(value), blobs, size, depth)
        if isinstance(value, str):
            return str(value)
        if t is torch.dtype:
            return {"$": "dtype", "v": str(value).removeprefix("torch.")}
        if t is torch.device:
            return {"$": "device", "v": str(value)}
        if t is torch.Size:
            return {"$": "size", "i": list(value)}
        if t is complex:
            return {"$": "complex", "v": [value.real, value.imag]}
        if t is bytes or t is bytearray:
            return {"$": "bytes", "v": value.hex()}
        if t is set or t is frozenset:
            return {"$": t.__name__, "i": [self.encode(v, blobs, size, depth + 1) for v in value]}
        if t is slice:
            return {"$": "slice", "i": [self.encode(v, blobs, size, depth + 1)
                                        for v in (value.start, value.stop, value.step)]}
        if value is Ellipsis:
            return {"$": "ellipsis"}
        if t is range:
            return {"$": "range", "i": [value.start, value.stop, value.step]}
        if isinstance(value, pathlib.PurePath):
            return {"$": "path", "v": str(value)}
        if isinstance(value, types.ModuleType) and not isinstance(value, LearnerModule) \
                and value.__name__ != LEARNER_MODULE and sys.modules.get(value.__name__) is value:
            return {"$": "module", "v": value.__name__}
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            if isinstance(value, numpy.ndarray) and value.dtype.kind in "biufc":
                return {"$": "ndarray", "t": self._enc_tensor(torch.from_numpy(value.copy()), blobs, size)}
            if isinstance(value, numpy.generic):
                return self.encode(value.item(), blobs, size, depth)
        if isinstance(value, types.GeneratorType) and "/torch/" in value.gi_code.co_filename:
            return {"$": "iter", "i": [self.encode(v, blobs, size, depth + 1) for v in value]}
        if t is _AsHandle:
            return self._export(value.obj, as_object=True)
        back = self._owner_handle(value)
        if back is not None:
            return back
        if t is torch.Generator:
            return self._enc_generator(value, blobs, size)
        sid = self.mirror_sid.get(id(value))
        if sid is not None and self.mirrors.get(sid, [None])[0] is value:
            return {"$": "O", "s": sid}
        if self.side == "J" and (_mirrorable_class(t) or _plain_object_of_the_tests(value)):
            return self._enc_mirror(value, blobs, size)
        if self.side == "J" and isinstance(value, type) and _sendable_class(value):
            return self._enc_class(value, blobs, size, depth)
        if self.side == "J" and type(value) is types.FunctionType and depth < 8:
            record = self._enc_function(value, blobs, size, depth)
            if record is not None:
                return record
        named = _by_name(value)
        if named is not None and (self.side == "J" or _judge_may_receive(*named)):
            return {"$": "named", "m": named[0], "q": named[1]}
        return self._export(value)

    def decode(self, value, blob):
        if isinstance(value, list):
            return [self.decode(v, blob) for v in value]
        if not isinstance(value, dict):
            return value
        tag = value.get("$")
        items = value.get("i")
        if tag == "T":
            return self._dec_tensor(value, blob)
        if tag == "tuple":
            return tuple(self.decode(v, blob) for v in items)
        if tag == "G":
            return self._dec_generator(value, blob)
        if tag == "meta":
            dtype = getattr(torch, str(value["dt"]), None)
            if not isinstance(dtype, torch.dtype):
                raise BridgeError(f"unknown dtype {value['dt']!r}")
            tensor = torch.empty([int(n) for n in value["sh"]], dtype=dtype, device="meta")
            grad = bool(value.get("rg")) and (tensor.is_floating_point() or tensor.is_complex())
            return torch.nn.Parameter(tensor, requires_grad=grad) if value.get("p") else tensor.requires_grad_(grad)
        if tag == "F":
            return self._dec_function(value, blob)
        if tag == "C":
            return self._dec_class(value, blob)
        if tag == "O":
            return self._dec_mirror(value, blob)
        if tag == "dict":
            pairs = [(self.decode(k, blob), self.decode(v, blob)) for k, v in items]
            if "dd" in value:
                factory = self.decode(value["dd"], blob)
                return collections.defaultdict(factory if callable(factory) else None, pairs)
            return collections.OrderedDict(pairs) if value.get("od") else dict(pairs)
        if tag == "h":
            return self._handle(value)
        if tag == "bigint":
            return int(value["v"])
        if tag == "float":
            return float(value["v"])
        if tag == "ntuple":
            fields = [str(f) for f in value.get("f", ())]
            try:
                cls = collections.namedtuple(str(value.get("n", "result")), fields)
                return cls(*(self.decode(v, blob) for v in items))
            except (TypeError, ValueError):
                return tuple(self.decode(v, blob) for v in items)
        if tag == "rtype":
            cls = getattr(torch.return_types, str(value.get("n")), None)
            decoded = [self.decode(v, blob) for v in items]
            return cls(decoded) if isinstance(cls, type) else tuple(decoded)
        if tag == "dtype":
            dtype = getattr(torch, str(value["v"]), None)
            if not isinstance(dtype, torch.dtype):
                raise BridgeError(f"unknown dtype {value['v']!r}")
            return dtype
        if tag == "device":
            return torch.device(str(value["v"]))
        if tag == "size":
            return torch.Size(int(v) for v in items)
        if tag == "complex":
            return complex(float(value["v"][0]), float(value["v"][1]))
        if tag == "bytes":
            return bytes.fromhex(str(value["v"]))
        if tag == "set":
            return set(self.decode(v, blob) for v in items)
        if tag == "frozenset":
            return frozenset(self.decode(v, blob) for v in items)
        if tag == "slice":
            return slice(*(self.decode(v, blob) for v in items))
        if tag == "ellipsis":
            return Ellipsis
        if tag == "range":
            return range(*(int(v) for v in items))
        if tag == "path":
            return pathlib.Path(str(value["v"]))
        if tag == "module":
            name = str(value["v"])
            if name == LEARNER_MODULE or name not in sys.modules and not _importable(name):
                raise BridgeError(f"module {name!r} is not available here")
            return importlib.import_module(name)
        if tag == "ndarray":
            return self._dec_tensor(value["t"], blob).numpy()
        if tag == "iter":
            return iter([self.decode(v, blob) for v in items])
        if tag == "named":
            module_name, qualname = str(value["m"]), str(value["q"])
            if self.side == "J" and not _judge_may_receive(module_name, qualname):
                raise BridgeError(f"{module_name}.{qualname} is not accepted from the learner's process")
            obj = _resolve(module_name, qualname)
            if _by_name(obj) is None:
                raise BridgeError("not a library object")
            return obj
        raise BridgeError(f"unknown value tag {tag!r}")

    # -- handles

    def _export(self, obj, as_object: bool = False) -> dict:
        hid = self.export_ids.get(id(obj))
        if hid is None or self.exported.get(hid) is not obj:
            hid = next(self.ids)
            self.exported[hid] = obj
            self.export_ids[id(obj)] = hid
        cls = type(obj)
        desc = {"$": "h", "s": self.side, "id": hid, "c": cls.__name__}
        if as_object:
            desc["k"] = "object"
            desc["tb"] = []
        elif isinstance(obj, types.ModuleType):
            desc["k"] = "module"
        elif inspect.isclass(obj):
            desc["k"] = "class"
            desc["n"] = obj.__name__
            desc["sig"] = _signature_of(obj)
        elif callable(obj) and isinstance(obj, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
            desc["k"] = "function"
            desc["n"] = getattr(obj, "__name__", "function")
            desc["sig"] = _signature_of(obj)
            code = getattr(getattr(obj, "__func__", obj), "__code__", None)
            if code is not None and os.path.basename(code.co_filename) == f"{LEARNER_MODULE}.py":
                desc["line"] = code.co_firstlineno
        else:
            desc["k"] = "object"
            desc["tb"] = [[base.__module__, base.__qualname__] for base in cls.__mro__[1:]
                          if _torch_name(base.__module__) and "<" not in base.__qualname__][:8]
            if _torch_name(cls.__module__):
                desc["tb"].insert(0, [cls.__module__, cls.__qualname__])
        return desc

    def _unexport(self, hid) -> None:
        obj = self.exported.pop(hid, None)
        if obj is not None and self.export_ids.get(id(obj)) == hid:
            del self.export_ids[id(obj)]

    def _handle(self, desc: dict):
        hid = desc.get("id")
        if desc.get("s") == self.side:  # one of ours, coming back
            if hid not in self.exported:
                raise BridgeError("unknown handle")
            return self.exported[hid]
        proxy = self.proxies.get(hid)
        if proxy is not None:
            return proxy
        if hid in self.released:  # our old proxy died but the other side has not heard yet
            self.released.remove(hid)
        kind = desc.get("k")
        if kind == "function":
            proxy = self._function_stub(hid, desc)
        elif kind == "module":
            proxy = LearnerModule(self, hid, os.environ.get(SOURCE_ENV))
        else:
            cls = _proxy_class(desc) if kind == "object" else RemoteObject
            proxy = object.__new__(cls)
            object.__setattr__(proxy, "_peer", self)
            object.__setattr__(proxy, "_hid", hid)
            object.__setattr__(proxy, "_desc", desc)
        self.proxies[hid] = proxy
        return proxy

    def _function_stub(self, hid: int, desc: dict):
        """A real function that calls the remote one: methods bind, ``inspect`` reads its
        signature, and (for the learner's functions) ``inspect.getsource`` finds its lines."""
        peer = self

        def stub(*args, **kwargs):
            return peer.request("call", h=hid, args=list(args), kwargs=kwargs)

        name = str(desc.get("n") or "function")
        source = os.environ.get(SOURCE_ENV)
        if desc.get("line") and source:
            stub.__code__ = stub.__code__.replace(co_name=name, co_qualname=name, co_filename=source,
                                                  co_firstlineno=int(desc["line"]))
        stub.__name__ = stub.__qualname__ = name
        stub.__bridge__ = (peer, hid)
        stub.__module__ = LEARNER_MODULE if desc.get("line") else None
        if desc.get("sig") is not None:
            signature = _build_signature(desc["sig"])
            if signature is not None:
                stub.__signature__ = signature
        weakref.finalize(stub, self.released.append, hid)
        return stub

    # -- requests

    def request(self, op: str, **fields):
        """Send a request and serve the other side's nested requests until the answer comes."""
        if self.closed:
            raise BridgeError("the learner's process is gone")
        blobs: list[bytes] = []
        size = [0]
        self._call_leaves = []
        try:
            body = {key: self.encode(value, blobs, size) for key, value in fields.items()}
        finally:
            call_leaves, self._call_leaves = self._call_leaves, None
        body.update(op=op, k="req", ctx=_context())
        self._send_with(body, blobs)
        while True:
            message, blob = self._recv()
            if message.get("k") == "req":
                self._serve(message, blob)
                continue
            return self._answer(message, blob, call_leaves or [])

    def _send_with(self, body: dict, blobs: list[bytes]) -> None:
        # Values were encoded into ``blobs`` first; sync data follows them in the same blob.
        extra: list[bytes] = []
        offset = [sum(len(b) for b in blobs)]
        body["sync"] = self._sync(extra, offset)
        body["rng"] = self.random.outgoing(extra, offset)
        text = json.dumps(body, allow_nan=True, separators=(",", ":"))
        # What this message names is not released by it: the other side reads releases first.
        other = "L" if self.side == "J" else "J"
        released, self.released = self.released, []
        for hid in released:
            (self.released if f'"s":"{other}","id":{hid}}}' in text else body.setdefault("rel", [])).append(hid)
        released_tensors, self.released_tensors = self.released_tensors, []
        for sid in dict.fromkeys(released_tensors):
            if f'"s":"{sid}"' not in text:
                self._forget_tensor(sid)
                body.setdefault("relt", []).append(sid)
        if self.released_graphs:
            body["relg"], self.released_graphs = self.released_graphs, []
        if "rel" in body or "relt" in body or "relg" in body:
            text = json.dumps(body, allow_nan=True, separators=(",", ":"))
        text = text.encode()
        parts = blobs + extra
        try:
            self.sock.sendall(HEADER.pack(len(text), sum(len(part) for part in parts)) + text)
            for part in parts:
                if len(part):
                    self.sock.sendall(part)
        except OSError as exc:
            self.closed = True
            raise BridgeError(f"the other side is gone ({exc})") from None

    def _answer(self, message: dict, blob, call_leaves: list):
        if "out" in message:
            sys.stdout.write(str(message["out"]))
        if message.get("k") == "err":
            raise self._exception(message.get("err") or {})
        self._graph_outputs = []
        enabled = gc.isenabled()
        gc.disable()
        try:
            value = self.decode(message.get("v"), blob)
            outputs = self._graph_outputs or []
        finally:
            self._graph_outputs = None
            if enabled:
                gc.enable()
        graph = message.get("graph")
        if graph and outputs:
            value = self._connect(value, graph, outputs, call_leaves)
        return value

    def _connect(self, value, graph: dict, outputs: list, call_leaves: list):
        """Give the learner's results a grad_fn that reaches back into the learner's graph."""
        ordered = [t for _, t in sorted(outputs, key=lambda pair: pair[0])]
        inputs = []
        for ref in graph.get("in", ()):
            if ref[0] == "s":
                entry = self.tensors.get(str(ref[1]))
                tensor = entry.get() if entry is not None else None
            else:
                index = int(ref[1])
                tensor = call_leaves[index] if 0 <= index < len(call_leaves) else None
            if tensor is None:
                raise BridgeError("a gradient input is unknown here")
            inputs.append(tensor)
        if not torch.is_grad_enabled():
            return value
        link = _GraphLink(self, int(graph["gid"]), ordered)
        connected = RemoteGraph.apply(link, _anchor(), *inputs)
        swap = {id(old): new for old, new in zip(ordered, connected)}
        return _replace(value, swap)

    def _exception(self, err: dict) -> BaseException:
        judge_id = err.get("judge")
        if judge_id is not None and judge_id in self.judge_errors:
            return self.judge_errors.pop(judge_id)
        name = str(err.get("type", "Exception"))
        message = str(err.get("msg", ""))
        where = err.get("where")
        if where:
            message = f"{message}\n{where}"
        cls = BUILTIN_ERRORS.get(name) if err.get("builtin") else None
        try:
            exc = cls(message) if cls is not None else LearnerError(f"{name}: {message}")
        except Exception:
            exc = LearnerError(f"{name}: {message}")
        if judge_id is not None and self.side == "L":
            exc._judge_error = judge_id  # raised by the judge's code: it gets its own exception back
        return exc

    # -- serving

    def serve_forever(self) -> None:
        """The learner's side: answer requests until the judge goes away."""
        while True:
            try:
                message, blob = self._recv()
            except BridgeError:
                return
            if message.get("k") != "req":
                continue
            self._serve(message, blob)

    depth = 0
    """How many of the other side's requests this side is serving right now."""

    def _serve(self, message: dict, blob) -> None:
        capture = _Capture() if self.side == "L" else None
        saved = sys.stdout, sys.stderr
        if capture is not None:
            sys.stdout = sys.stderr = capture
        outer_leaves, self._arg_leaves = self._arg_leaves, []
        arg_leaves = self._arg_leaves
        blobs: list[bytes] = []
        size = [0]
        reply: dict = {"k": "ok"}
        fields = None
        self.depth += 1
        try:
            with _apply_context(message.get("ctx") or {}):
                result, fields = self._perform(message, blob)
                self._graph_outputs = []
                try:
                    reply["v"] = self.encode(result, blobs, size)
                    outputs = self._graph_outputs or []
                finally:
                    self._graph_outputs = None
                if outputs:
                    reply["graph"] = self._remember_graph(outputs, arg_leaves)
                # The arguments stay alive until the reply is sent, so writes into them travel back.
        except BaseException as exc:  # everything else goes back to the caller
            if isinstance(exc, BridgeError) and self.closed:
                raise
            if isinstance(exc, SystemExit) and self.side == "L":
                # sys.exit() in the learner's code ends its process, as it would have ended pytest.
                os._exit(exc.code if isinstance(exc.code, int) else 1)
            blobs.clear()
            reply = {"k": "err", "err": self._describe(exc)}
        finally:
            self.depth -= 1
            self._arg_leaves = outer_leaves
            if capture is not None:
                sys.stdout, sys.stderr = saved
                text = capture.getvalue()
                if text:
                    reply["out"] = text[-MAX_CAPTURED_CHARS:]
        self._send_with(reply, blobs)
        del fields

    def _perform(self, message: dict, blob):
        op = message.get("op")
        target = None
        if "h" in message:
            hid = message["h"]
            if hid not in self.exported:
                raise BridgeError("unknown handle")
            target = self.exported[hid]
        if self.side == "J":
            self._check_served(op, message, target)
        # Decode everything before any code runs, with the collector off (see ``_recv``).
        enabled = gc.isenabled()
        gc.disable()
        try:
            fields = {key: self.decode(message[key], blob)
                      for key in ("args", "kwargs", "value", "target", "grads") if key in message}
        finally:
            if enabled:
                gc.enable()
        return self._act(op, message, target, fields), fields

    def _act(self, op: str, message: dict, target, fields: dict):
        if op == "import":
            return importlib.import_module(LEARNER_MODULE)
        if op == "getattr":
            return getattr(target, str(message["name"]))
        if op == "setattr":
            setattr(target, str(message["name"]), fields.get("value"))
            return None
        if op == "delattr":
            delattr(target, str(message["name"]))
            return None
        if op == "call":
            kwargs = fields.get("kwargs") or {}
            return target(*(fields.get("args") or ()), **{str(k): v for k, v in kwargs.items()})
        if op == "op":
            return _operate(target, str(message.get("opname", "")), fields.get("args") or [])
        if op == "backward":
            return self._backward(int(message["gid"]), fields.get("grads") or [])
        if op == "library":
            name = str(message.get("name", ""))
            if name.split(".")[0] not in ("torch", "numpy", "random"):
                raise BridgeError(f"{name!r} is not a library module")
            module = importlib.import_module(name)
            if "attr" in message:  # call a function of it there (one the judge has patched here)
                return getattr(module, str(message["attr"]))(*(fields.get("args") or ()))
            return _AsHandle(module)
        if op == "hook":
            return fields["target"].register_hook(fields["value"])
        if op == "patch":
            return self._patch(fields.get("target"), str(message["name"]), fields.get("value"))
        if op == "unpatch":
            self._unpatch()
            return None
        if op == "isolated":
            return _isolated(str(message["name"]), message.get("helper"), fields.get("args") or [],
                             fields.get("kwargs") or {}, float(message.get("timeout", 30)))
        raise BridgeError(f"unknown request {op!r}")

    def _check_served(self, op, message, target) -> None:
        """What the learner's process may ask of the judge: public attributes and calls on
        objects the judge handed over, and a few protocol operations. Nothing else."""
        if op in ("getattr", "setattr", "delattr"):
            name = str(message.get("name", ""))
            if name.startswith("_"):
                raise AttributeError(f"the judge does not serve the attribute {name!r}")
        elif op == "op":
            if str(message.get("opname", "")) not in SERVED_OPS:
                raise TypeError("the judge does not serve this operation")
        elif op not in ("call", "backward"):
            raise BridgeError(f"the judge does not serve {op!r}")

    def _describe(self, exc: BaseException) -> dict:
        err = {"type": type(exc).__name__, "msg": str(exc)[:4000],
               "builtin": BUILTIN_ERRORS.get(type(exc).__name__) is type(exc)}
        if self.side == "J":
            key = next(self.ids)
            self.judge_errors[key] = exc
            err["judge"] = key
            return err
        judge = _judge_origin(exc)
        if judge is not None:
            err["judge"] = judge
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if os.path.basename(f.filename) == f"{LEARNER_MODULE}.py"]
        if frames:
            last = frames[-1]
            err["where"] = (f"  File \"submission.py\", line {last.lineno}, in {last.name}"
                            + (f"\n    {last.line}" if last.line else ""))
        return err

    # -- learner side: graphs, patches

    def _remember_graph(self, outputs: list[torch.Tensor], arg_leaves: list) -> dict:
        leaves, seen, stack = [], set(), [t.grad_fn for t in outputs if t.grad_fn is not None]
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            variable = getattr(node, "variable", None)
            if variable is not None:
                leaves.append(variable)
                continue
            stack.extend(fn for fn, _ in node.next_functions)
        refs, shared, local = [], [], []
        call_leaves = {id(t): i for i, t in arg_leaves}
        for leaf in leaves:
            sid = self.sid_of.get(id(leaf))
            entry = self.tensors.get(sid) if sid is not None else None
            if entry is None or entry.get() is not leaf:
                sid = None
            if sid is not None:
                refs.append(["s", sid])
                shared.append(leaf)
            elif id(leaf) in call_leaves:
                refs.append(["c", call_leaves[id(leaf)]])
                shared.append(leaf)
            else:
                local.append(leaf)
        gid = next(self.ids)
        self.graphs[gid] = (list(outputs), shared, local)
        while len(self.graphs) > MAX_GRAPHS:
            self.graphs.popitem(last=False)
        return {"gid": gid, "in": refs}

    def _backward(self, gid: int, grads: list) -> list:
        graph = self.graphs.get(gid)
        if graph is None:
            raise RuntimeError("this result's autograd graph was already freed in your code's process; "
                               "call backward() on a fresh result")
        outputs, shared, local = graph
        pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None and o.requires_grad]
        if not pairs:
            return [None] * len(shared)
        wanted = shared + local
        # The caller's retain_graph is not known here: keep the graph (a second backward through
        # the same result works, as in one process) unless a compiled graph cannot be kept.
        try:
            found = torch.autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                                        retain_graph=True, allow_unused=True)
        except RuntimeError as exc:
            if "retain_graph" not in str(exc):
                raise
            found = torch.autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True)
        for leaf, grad in zip(local, found[len(shared):]):
            if grad is not None:
                leaf.grad = grad if leaf.grad is None else leaf.grad + grad
        return list(found[:len(shared)])

    def _patch(self, target, name: str, value) -> None:
        key = next(self.ids)
        try:  # a module's ``__getattr__`` (``torch._VF``) answers names it does not hold: those are deleted on undo
            old = inspect.getattr_static(target, name)
            had = name in vars(target) if isinstance(target, type) else True
        except AttributeError:
            had, old = False, None
        self.patches[key] = [target, name, had, old]
        setattr(target, name, value)

    def _unpatch(self) -> None:
        for target, name, had, old in reversed(list(self.patches.values())):
            try:
                if had:
                    setattr(target, name, old)
                else:
                    delattr(target, name)
            except Exception:
                pass
        self.patches.clear()


def _isolated(name: str, helper, args: list, kwargs: dict, timeout_s: float) -> dict:
    """In the learner's process: call ``name`` (of the learner's module, or of the helper module
    whose ``[name, source]`` the judge sent) in a forked process of its own group, and return
    ``{"value": ..., "initialised": ...}``, ``{"error": text}`` or ``{"timeout": True}``.

    A hang or a crash there (processes that wait forever in a collective) costs that call, not
    the job: the group is killed after ``timeout_s`` and this process goes on serving."""
    import pickle
    import select
    import signal
    import time

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process never talks to the judge: the socket is not its to use
        os.close(read_end)
        try:
            os.setpgrp()
            if helper:
                module = types.ModuleType(str(helper[0]))
                module.__file__ = f"{helper[0]}.py"
                sys.modules[module.__name__] = module
                exec(compile(str(helper[1]), module.__file__, "exec"), module.__dict__)
            else:
                module = importlib.import_module(LEARNER_MODULE)
            value = getattr(module, name)(*args, **kwargs)
            dist = sys.modules.get("torch.distributed")
            out = {"value": value, "initialised": bool(dist is not None and dist.is_available()
                                                        and dist.is_initialized())}
        except BaseException as exc:
            text = f"{type(exc).__name__}: {exc}".strip()
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if os.path.basename(f.filename) == f"{LEARNER_MODULE}.py"]
            if frames:
                text += f" (in your code, line {frames[-1].lineno})"
            out = {"error": text[-3000:]}
        try:
            data = pickle.dumps(out)
        except Exception as exc:
            data = pickle.dumps({"error": f"the result could not be sent back: {exc}"})
        with os.fdopen(write_end, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + timeout_s
    chunks = []
    with os.fdopen(read_end, "rb") as f:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([f], [], [], left)[0]:
                break
            chunk = os.read(f.fileno(), 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finished = time.monotonic() < deadline
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    os.waitpid(pid, 0)
    if not finished:
        return {"timeout": True}
    try:
        # Written by this process's own fork, with the learner's code: the same trust as this process.
        return pickle.loads(b"".join(chunks))
    except Exception:
        return {"error": "the process running your code died before returning."}


def run_isolated(name: str, *args, helper=None, timeout_s: float = 30, **kwargs) -> dict:
    """Call the learner's ``name`` (or the helper module's) in a forked process of the learner's
    side, killed with everything it started after ``timeout_s``; see ``_isolated``."""
    source = None
    if helper is not None:
        with open(helper.__file__, encoding="utf-8") as f:
            source = [helper.__name__, f.read()]
    return judge_peer().request("isolated", name=name, helper=source, args=list(args), kwargs=kwargs,
                                timeout=float(timeout_s))


def _judge_origin(exc: BaseException | None):
    seen = 0
    while exc is not None and seen < 20:
        judge = getattr(exc, "_judge_error", None)
        if judge is not None:
            return judge
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _replace(value, swap: dict):
    if isinstance(value, torch.Tensor):
        return swap.get(id(value), value)
    if type(value) is list:
        return [_replace(v, swap) for v in value]
    if type(value) is tuple:
        return tuple(_replace(v, swap) for v in value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_replace(v, swap) for v in value))
    if type(value) in (dict, collections.OrderedDict):
        return type(value)((k, _replace(v, swap)) for k, v in value.items())
    if type(value).__module__ == "torch.return_types":
        return type(value)([_replace(v, swap) for v in value])
    return value


def _operate(target, op: str, args: list):
    if op == "repr":
        return repr(target)
    if op == "str":
        return str(target)
    if op == "len":
        return len(target)
    if op == "iter":
        if isinstance(target, (list, tuple, dict, set, frozenset, range, str, bytes)) or \
                isinstance(target, (torch.nn.ModuleList, torch.nn.ParameterList, torch.nn.Sequential)):
            return iter(list(target))
        return iter(target) if not hasattr(target, "__next__") else _IterHandle(target)
    if op == "next":
        return next(target)
    if op == "getitem":
        return target[args[0]]
    if op == "setitem":
        target[args[0]] = args[1]
        return None
    if op == "delitem":
        del target[args[0]]
        return None
    if op == "contains":
        return args[0] in target
    if op == "bool":
        return bool(target)
    if op == "hash":
        return hash(target)
    if op == "float":
        return float(target)
    if op == "int":
        return int(target)
    if op == "index":
        return target.__index__()
    if op == "neg":
        return -target
    if op == "enter":
        return target.__enter__()
    if op == "exit":
        return target.__exit__(None, None, None)
    if op == "instancecheck":
        return isinstance(args[0], target)
    if op == "isinstance":
        return isinstance(target, args[0])
    if op == "subclasscheck":
        return issubclass(args[0], target)
    if op == "deepcopy":
        import copy
        return copy.deepcopy(target)
    if op == "copy":
        import copy
        return copy.copy(target)
    if op == "dir":
        return dir(target)
    if op in BINARY:
        result = getattr(target, BINARY[op])(*args)
        return result
    raise BridgeError(f"unknown operation {op!r}")


class _IterHandle:
    """An iterator the other side steps through one item at a time."""

    def __init__(self, iterator) -> None:
        self.iterator = iterator

    def __next__(self):
        return next(self.iterator)


def _by_name(value):
    """(module, qualname) for a library function, class or module-level object that the other
    side can look up itself (``torch.relu``, ``nn.Linear``, ``math.sqrt``); None otherwise."""
    if not (inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value)
            or isinstance(value, (types.BuiltinFunctionType, types.MethodDescriptorType))):
        return None
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    owner = getattr(value, "__objclass__", None)
    if not module and isinstance(owner, type):  # a C method (``torch.Tensor.add``): found on its class
        module, qualname = owner.__module__, f"{owner.__qualname__}.{value.__name__}"
    if not module or not qualname or "<" in qualname or module in (LEARNER_MODULE, "__main__"):
        return None
    top = module.split(".")[0]
    if top not in ("torch", "builtins", "math", "numpy", "collections", "functools", "operator", "itertools",
                   "random", "statistics", "tokenizers", "typing"):
        return None
    # torch's C functions say ``_VariableFunctionsClass.sin`` but live at ``torch.sin``.
    for name in dict.fromkeys((qualname, getattr(value, "__name__", None) or qualname)):
        try:
            if _resolve(module, name) is value:
                return module, name
        except Exception:
            pass
    return None


_WRITES = frozenset({"STORE_GLOBAL", "DELETE_GLOBAL", "STORE_DEREF", "DELETE_DEREF", "STORE_NAME",
                     "DELETE_NAME", "IMPORT_NAME", "YIELD_VALUE", "RETURN_GENERATOR"})


def _pure_code(code: types.CodeType) -> bool:
    """No writes outside its own frame and no generator or import (see ``Peer._enc_function``)."""
    if any(ins.opname in _WRITES for ins in dis.get_instructions(code)):
        return False
    return all(_pure_code(const) for const in code.co_consts if isinstance(const, types.CodeType))


def _global_loads(code: types.CodeType, names: set) -> None:
    for ins in dis.get_instructions(code):
        if ins.opname == "LOAD_GLOBAL":
            names.add(ins.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _global_loads(const, names)


def _immutable(value, depth: int = 0) -> bool:
    """Safe to copy into the learner's process: the judge cannot miss a change to it."""
    if depth > 4:
        return False
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, torch.dtype, torch.device)):
        return True
    if type(value) is tuple or type(value) is frozenset:
        return all(_immutable(v, depth + 1) for v in value)
    if isinstance(value, torch.Tensor):
        return value.layout == torch.strided and not value.requires_grad
    if isinstance(value, types.ModuleType):
        return nameable(value)
    if type(value) is types.FunctionType and not _torch_name(value.__module__):
        return _by_name(value) is not None or _pure_function(value, depth=depth)
    return _by_name(value) is not None


def _pure_function(fn: types.FunctionType, owner: type | None = None, depth: int = 0) -> bool:
    """Whether ``fn`` may run in the learner's process instead of the judge's: code that writes
    no global or outer variable, imports nothing, makes no generator, and reads only immutable
    values, library objects and other such functions (the ``__class__`` cell of ``super()`` may
    hold ``owner``, the class being sent with it). See ``Peer._enc_function``."""
    if depth >= 3 or _torch_name(fn.__module__) or fn.__module__ == LEARNER_MODULE or not _pure_code(fn.__code__):
        return False
    cells = [c.cell_contents for name, c in zip(fn.__code__.co_freevars, fn.__closure__ or ())
             if not (name == "__class__" and owner is not None and c.cell_contents is owner)]
    if not all(_immutable(v, depth + 1) for v in [*cells, *(fn.__defaults__ or ()), *(fn.__kwdefaults__ or {}).values()]):
        return False
    return all(_immutable(fn.__globals__[n], depth + 1) if n in fn.__globals__ else hasattr(builtins, n)
               for n in _loads(fn.__code__))


def _loads(code: types.CodeType) -> set:
    names: set = set()
    _global_loads(code, names)
    return names


_MIRRORED_BASES = ("torch.nn.modules.module.Module", "torch.optim.optimizer.Optimizer",
                   "torch.optim.lr_scheduler.LRScheduler", "torch.amp.grad_scaler.GradScaler",
                   "torch.utils.data.dataset.Dataset", "torch.utils.data.dataloader.DataLoader",
                   "torch.utils.data.sampler.Sampler")


def _mirrorable_class(cls: type) -> bool:
    """Torch's own modules, optimizers, schedulers, grad scalers and data classes, and the tests'
    subclasses of them that can cross as code: plain state (tensors, numbers, containers),
    rebuilt on the other side without running any constructor."""
    if not any(f"{base.__module__}.{base.__qualname__}" in _MIRRORED_BASES for base in cls.__mro__):
        return False
    if not _torch_name(cls.__module__):
        return _sendable_class(cls)
    if "<" in cls.__qualname__:
        return False
    try:
        return _resolve(cls.__module__, cls.__qualname__) is cls
    except Exception:
        return False


def _plain_object_of_the_tests(obj) -> bool:
    """An object of a class of the tests (a live-chart hook, a recorder) whose class crosses as
    code: mirrored like torch's objects, so calling it from the learner's code costs no round
    trip; what it does to itself comes back with the next message. Not exceptions (their
    arguments live outside ``__dict__``) nor objects without a ``__dict__``."""
    cls = type(obj)
    return (not isinstance(obj, BaseException) and "__slots__" not in cls.__dict__
            and isinstance(getattr(obj, "__dict__", None), dict) and _sendable_class(cls))


_CLASS_BOOKKEEPING = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__", "__doc__",
                                "__annotations__", "__firstlineno__", "__static_attributes__",
                                "__annotate__", "__annotate_func__", "__annotations_cache__"})
_SENDABLE: dict[type, bool] = {}


def _sendable_class(cls: type) -> bool:
    """A class of the tests' (not torch's, not the learner's) whose bases are library classes or
    such classes, and whose methods and attributes ``Peer._enc_function`` would send as code."""
    known = _SENDABLE.get(cls)
    if known is not None:
        return known
    _SENDABLE[cls] = False  # until proven (and against cycles)
    module = getattr(cls, "__module__", "") or ""
    ok = (type(cls) is type and not _torch_name(module) and module not in (LEARNER_MODULE, "builtins")
          and all(_by_name(base) is not None or _sendable_class(base) for base in cls.__bases__)
          and all(key in _CLASS_BOOKKEEPING or _sendable_member(value, cls) for key, value in cls.__dict__.items()))
    _SENDABLE[cls] = ok
    return ok


def _sendable_member(value, cls) -> bool:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        return all(f is None or _sendable_member(f, cls) for f in (value.fget, value.fset, value.fdel))
    if type(value) is types.FunctionType:
        return _pure_function(value, cls)
    return _immutable(value)


def _rebase(value, base: int) -> None:
    """Shift the blob offsets of encoded tensors by ``base`` (their bytes moved to a later place)."""
    if not base:
        return
    if isinstance(value, dict):
        if "dt" in value and "o" in value:
            value["o"] = int(value["o"]) + base
        for item in value.values():
            if isinstance(item, (dict, list)):
                _rebase(item, base)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                _rebase(item, base)


def _merged(old, new):
    """``new`` written into ``old`` where both are the same kind of container, so references to
    inner dicts and lists (``group = optimizer.param_groups[0]``) stay live."""
    if type(old) is type(new) and isinstance(old, dict) and old is not new:
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            old[key] = _merged(old.get(key), value)
        return old
    if type(old) is list and type(new) is list and old is not new:
        if len(old) == len(new):
            old[:] = [_merged(a, b) for a, b in zip(old, new)]
        else:
            old[:] = new
        return old
    return new


_REFUSED_MODULES = ("torch.hub", "torch.serialization", "torch.package", "torch.jit", "torch.utils.cpp_extension",
                    "torch._dynamo", "torch._inductor", "torch.export", "torch.distributed", "torch.multiprocessing",
                    "numpy.lib", "numpy.load", "typing")
_REFUSED_NAMES = frozenset({"load", "loads", "save", "exec", "eval", "compile", "__import__", "open", "breakpoint",
                            "input", "getattr", "setattr", "delattr", "globals", "locals", "vars", "load_inline",
                            "fromfile", "tofile", "memmap", "system"})


def _judge_may_receive(module: str, qualname: str) -> bool:
    """Library objects the learner's process may name to the judge: classes and functions that
    compute, never ones that load files, run code or reach into objects (the judge may call what
    it receives: a hook in a model the learner changed)."""
    if any(module == m or module.startswith(m + ".") for m in _REFUSED_MODULES):
        return False
    if qualname.split(".")[-1] in _REFUSED_NAMES:
        return False
    if module == "builtins":
        return isinstance(getattr(builtins, qualname, None), type)
    return True


def nameable(obj) -> bool:
    """Whether the learner's process can look ``obj`` up by name (a library module or class)."""
    if isinstance(obj, LearnerModule) or isinstance(obj, RemoteObject):
        return False
    if isinstance(obj, types.ModuleType):
        return sys.modules.get(obj.__name__) is obj and obj.__name__ != LEARNER_MODULE
    return _by_name(obj) is not None


def _importable(name: str) -> bool:
    top = name.split(".")[0]
    return top in ("torch", "math", "numpy", "collections", "functools", "operator", "itertools", "random",
                   "statistics", "tokenizers", "typing")


# ---------------------------------------------------------------------------------------------- context


def _context() -> dict:
    ctx = {"gm": torch.is_grad_enabled(), "dd": str(torch.get_default_dtype()).removeprefix("torch.")}
    autocast = []
    for device in ("cpu", "cuda"):
        try:
            if torch.is_autocast_enabled(device):
                autocast.append([device, str(torch.get_autocast_dtype(device)).removeprefix("torch.")])
        except Exception:
            pass
    if autocast:
        ctx["ac"] = autocast
    return ctx


class _apply_context:
    """The caller's grad mode, default dtype and autocast, for the duration of one request."""

    def __init__(self, ctx: dict) -> None:
        self.ctx = ctx
        self.stack: list = []

    def __enter__(self):
        grad = torch.set_grad_enabled(bool(self.ctx.get("gm", True)))
        grad.__enter__()
        self.stack.append(grad)
        dtype = getattr(torch, str(self.ctx.get("dd", "float32")), torch.float32)
        self.saved_dtype = torch.get_default_dtype()
        if dtype != self.saved_dtype and dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
            torch.set_default_dtype(dtype)
        for device, name in self.ctx.get("ac", ()):
            cast = torch.autocast(str(device), dtype=getattr(torch, str(name)))
            cast.__enter__()
            self.stack.append(cast)
        return self

    def __exit__(self, *exc):
        for manager in reversed(self.stack):
            manager.__exit__(None, None, None)
        if torch.get_default_dtype() != self.saved_dtype:
            torch.set_default_dtype(self.saved_dtype)
        return False


SHARED_ENVIRONMENT = ("CUBLAS_WORKSPACE_CONFIG", "CUDA_LAUNCH_BLOCKING")
"""Environment variables a learner's ``set_seed`` may set and a test then checks (only these:
the judge's own settings never come from the learner's process)."""


def _flags() -> tuple:
    """Process-wide switches a learner's ``set_seed`` turns and a test then checks."""
    return (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
            bool(torch.backends.cudnn.deterministic), bool(torch.backends.cudnn.benchmark),
            *(os.environ.get(name) for name in SHARED_ENVIRONMENT))


class RandomState:
    """The random generators' states (and the determinism switches) as both sides last agreed on them: a message carries only
    the generators that moved since, so a test that seeds and a learner's code that draws share
    one stream, as if they ran in one process."""

    def __init__(self) -> None:
        self.torch = torch.get_rng_state()
        self.python = None
        self.numpy = None
        self.flags = _flags()

    def outgoing(self, blobs: list[bytes], size: list[int]) -> dict:
        state = {}
        flags = _flags()
        if flags != self.flags:
            state["f"] = list(flags)
            self.flags = flags
        current = torch.get_rng_state()
        if not torch.equal(current, self.torch):
            state["t"] = _raw(current, blobs, size)
            self.torch = current
        random = sys.modules.get("random")
        if random is not None:
            python = random.getstate()
            if python != self.python:
                state["p"] = [python[0], list(python[1]), python[2]]
                self.python = python
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            kind, keys, pos, has_gauss, cached = numpy.random.get_state()
            fingerprint = (int(pos), int(has_gauss), float(cached), keys.tobytes())
            if fingerprint != self.numpy:
                state["n"] = [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)]
                self.numpy = fingerprint
        return state

    def incoming(self, state, blob) -> None:
        if not isinstance(state, dict):
            return
        if "f" in state and len(state["f"]) == 4 + len(SHARED_ENVIRONMENT):
            deterministic, warn_only, cudnn_deterministic, benchmark = (bool(f) for f in state["f"][:4])
            torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
            torch.backends.cudnn.deterministic = cudnn_deterministic
            torch.backends.cudnn.benchmark = benchmark
            for name, value in zip(SHARED_ENVIRONMENT, state["f"][4:]):
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = str(value)
            self.flags = _flags()
        if "t" in state:
            self.torch = _from_raw(state["t"], blob)
            torch.set_rng_state(self.torch)
        if "p" in state:
            import random
            version, internal, gauss = state["p"]
            self.python = (int(version), tuple(int(v) for v in internal), gauss)
            random.setstate(self.python)
        numpy = sys.modules.get("numpy")
        if numpy is not None and "n" in state:
            kind, keys, pos, has_gauss, cached = state["n"]
            keys = numpy.array(keys, dtype=numpy.uint32)
            numpy.random.set_state((str(kind), keys, int(pos), int(has_gauss), float(cached)))
            self.numpy = (int(pos), int(has_gauss), float(cached), keys.tobytes())


# ---------------------------------------------------------------------------------------------- entry points


_JUDGE: Peer | None = None
_MODULE: LearnerModule | None = None


def active() -> bool:
    """Whether this process is a judge talking to a learner's process."""
    return BRIDGE_FD_ENV in os.environ


def judge_peer() -> Peer:
    """The judge's end of the wire (opened on first use)."""
    global _JUDGE
    if _JUDGE is None:
        fd = int(os.environ[BRIDGE_FD_ENV])
        _JUDGE = Peer(socket.socket(fileno=fd), "J")
    return _JUDGE


_REGISTER_HOOK = torch.Tensor.register_hook


def _register_hook(tensor, hook):
    """``Tensor.register_hook`` in the judge: on a tensor of the learner's (a parameter of its
    model, an output a forward hook saw) the hook is registered where backward runs, and calls
    back here with the gradient."""
    peer = _JUDGE
    if peer is not None and not peer.closed:
        sid = peer.sid_of.get(id(tensor))
        entry = peer.tensors.get(sid) if sid is not None else None
        if entry is not None and entry.get() is tensor and not entry.origin:
            return peer.request("hook", target=tensor, value=hook)
    return _REGISTER_HOOK(tensor, hook)


class _BothHandles:
    """The handle of a hook registered in both processes: ``remove()`` removes both."""

    def __init__(self, *handles) -> None:
        self.handles = handles

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _global_optimizer_hook(name: str):
    original = getattr(importlib.import_module("torch.optim.optimizer"), name)

    def register(hook):
        """Registered here and in the learner's process, where the learner's optimizers step."""
        local = original(hook)
        if _JUDGE is None and not active():
            return local
        remote = judge_peer().request("library", name="torch.optim.optimizer", attr=name, args=[hook])
        return _BothHandles(local, remote)

    register.__name__ = register.__qualname__ = name
    register.__doc__ = original.__doc__
    return register


def forward_hooks() -> None:
    """Route the judge's hooks to where they fire: ``register_hook`` on the learner's tensors,
    and the global optimizer step hooks, reach the learner's process. Done before the tests are
    imported (they may import the functions by name)."""
    optimizer_module = importlib.import_module("torch.optim.optimizer")  # not an attribute of torch.optim
    torch.Tensor.register_hook = _register_hook
    for name in ("register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"):
        patched = _global_optimizer_hook(name)
        setattr(optimizer_module, name, patched)
        if getattr(torch.optim, name, None) is not None:
            setattr(torch.optim, name, patched)


def learner_module() -> LearnerModule:
    """The learner's ``submission`` module, as a proxy; importing it runs it in the learner's process."""
    global _MODULE
    if _MODULE is None:
        _MODULE = judge_peer().request("import")
    return _MODULE


class _AsHandle:
    """An object that crosses as a handle even where it could go by name (a library module of
    the learner's process, whose state, such as compile counters, lives there)."""

    __slots__ = ("obj",)

    def __init__(self, obj) -> None:
        self.obj = obj


def learner_library(name: str):
    """The library module ``name`` as it is in the learner's process (a proxy)."""
    return judge_peer().request("library", name=name)


def remote_isinstance(value, cls) -> bool:
    """``isinstance(value, cls)`` asked where ``value`` lives (for a proxy of the learner's object
    whose class cannot be a proxy's base, such as ``tokenizers.Tokenizer``)."""
    if isinstance(value, cls):
        return True
    if not isinstance(value, RemoteObject) or not nameable(cls):
        return False
    peer = object.__getattribute__(value, "_peer")
    return bool(peer.request("op", h=object.__getattribute__(value, "_hid"), opname="isinstance", args=[cls]))


def patch_learner(target, name: str, value) -> None:
    """Apply ``setattr(target, name, value)`` in the learner's process too (``target`` a library
    module or class, or an object of the learner's); ``value`` runs in the judge when called."""
    judge_peer().request("patch", target=target, name=name, value=value)


def unpatch_learner() -> None:
    """Undo every ``patch_learner`` of this test."""
    if _JUDGE is not None and not _JUDGE.closed:
        _JUDGE.request("unpatch")


class _Refuse:
    """A finder that stops the judge from ever importing the learner's module."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == LEARNER_MODULE:
            raise ImportError("the learner's code runs in its own process: use course_harness.submission()")
        return None


def guard_judge_imports() -> None:
    """Make ``import submission`` fail in the judge (it would run the learner's code here), and
    route the judge's hooks to the learner's process (``forward_hooks``)."""
    if _Refuse not in sys.meta_path:
        sys.meta_path.insert(0, _Refuse)
        forward_hooks()


def serve(fd: int) -> None:
    """The learner's process: answer the judge's requests on ``fd`` until it closes."""
    peer = Peer(socket.socket(fileno=fd), "L")
    peer.serve_forever()
