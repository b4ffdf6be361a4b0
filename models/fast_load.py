"""Building an open_clip model from a checkpoint quickly and in little memory: random initialisation
skipped (every weight comes from the checkpoint) and the checkpoint's pages mapped instead of copied."""

from __future__ import annotations

import contextlib
import functools
import sys
import threading


_INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                   "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_")
# the tensor methods that draw random numbers in place, and timm's truncated-normal initialiser (it draws
# with uniform_, then shapes the draw: erfinv_, mul_, clamp_ over every weight)
_INIT_METHODS = ("uniform_", "normal_")
_TIMM_INIT = ("timm.layers.weight_init", ("_trunc_normal_",))
_INIT_LOCK = threading.Lock()
_SKIPPING = threading.local()


@contextlib.contextmanager
def init_skipped(skip: bool):
    """While a model whose weights all come from a checkpoint is built in this thread, its parameters
    are left as allocated instead of randomly initialised first (open_clip loads a full checkpoint
    strictly: a parameter it does not set fails the load). Building the CPU preset (SigLIP 2 B/32,
    a 256k-token embedding table) spent ~8 s of 2 cores drawing numbers that were then overwritten.

    torch.nn.init's functions, the tensor methods that draw in place and timm's truncated normal
    (timm initialises through these, not torch.nn.init: 1.2 s of the SigLIP 2 image tower's build)
    are wrapped once so that they skip only in a thread that asked: a model built at the same time
    in another thread (a LoRA being trained in the app) is untouched.
    """
    if not skip:
        yield
        return
    import torch

    owners = [(torch.nn.init, _INIT_FUNCTIONS), (torch.Tensor, _INIT_METHODS)]
    if _TIMM_INIT[0] in sys.modules:  # (open_clip imports timm where it is installed)
        owners.append((sys.modules[_TIMM_INIT[0]], _TIMM_INIT[1]))
    with _INIT_LOCK:
        for owner, names in owners:
            for name in names:
                original = getattr(owner, name, None)
                if original is not None and not hasattr(original, "_unless_skipping"):
                    setattr(owner, name, _unless_skipping(original))
    _SKIPPING.on = True
    try:
        yield
    finally:
        _SKIPPING.on = False


def _unless_skipping(init):
    @functools.wraps(init)
    def switch(tensor, *args, **kwargs):
        return tensor if getattr(_SKIPPING, "on", False) else init(tensor, *args, **kwargs)

    switch._unless_skipping = init
    return switch


_CHECKPOINT_LOCK = threading.Lock()


@contextlib.contextmanager
def checkpoint_mapped(device: str):
    """While open_clip builds a model on the CPU, its checkpoint's parameters are taken from the file's
    pages (``torch.load(mmap=True)``, ``load_state_dict(assign=True)``) instead of read whole and then
    copied into the model: the CPU preset (SigLIP 2 B/32, 1.5 GB of fp32) peaked at 3.6 GiB while
    loading, model and checkpoint side by side; 1.5 GiB so. safetensors files are mapped by their own
    reader; a checkpoint in torch's legacy format cannot be mapped and is read as open_clip reads it.
    The pages are private (copy-on-write): nothing the model does writes to the file.
    """
    if device != "cpu":
        yield  # open_clip moves the model to the device before loading: its parameters must stay there
        return
    import open_clip.factory as factory
    import torch

    read_whole, load = factory.load_state_dict, factory.load_checkpoint

    def mapped(checkpoint_path, device="cpu", weights_only=True):
        if str(checkpoint_path).endswith(".safetensors"):
            return read_whole(checkpoint_path, device=device, weights_only=weights_only)
        try:
            state = torch.load(checkpoint_path, map_location="cpu", weights_only=weights_only, mmap=True)
        except RuntimeError:  # not a zip checkpoint: torch maps only those
            return read_whole(checkpoint_path, device=device, weights_only=weights_only)
        state = state["state_dict"] if isinstance(state, dict) and "state_dict" in state else state
        if next(iter(state)).startswith("module"):
            state = {k[7:]: v for k, v in state.items()}
        return state

    def load_checkpoint(model, checkpoint_path, *args, **kwargs):
        model.load_state_dict = functools.partial(type(model).load_state_dict, model, assign=True)
        try:
            return load(model, checkpoint_path, *args, **kwargs)
        finally:
            del model.load_state_dict

    with _CHECKPOINT_LOCK:
        factory.load_state_dict, factory.load_checkpoint = mapped, load_checkpoint
        try:
            yield
        finally:
            factory.load_state_dict, factory.load_checkpoint = read_whole, load
