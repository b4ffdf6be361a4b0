"""The app's words, in English and Korean. The language is the browser's (Korean when it asks for Korean)
until the sidebar's switch says otherwise."""

from __future__ import annotations

import streamlit as st

WORDS: dict[str, tuple[str, str]] = {
    "nav.search": ("Search", "검색"),
    "nav.ingest": ("Ingest", "영상 추가"),
    "nav.v2t": ("Video to Text", "영상 설명"),
    "nav.people": ("People", "인물"),
    "lang": ("Language · 언어", "Language · 언어"),
    "searching": ("Searching", "검색 채널"),
    "nothing": ("nothing", "없음"),
    "models": ("Models", "모델"),
    "off.not_installed": ("not installed", "설치되지 않음"),
    "off.empty": ("nothing in this library yet", "라이브러리에 아직 없음"),
    "off.switched": ("switched off", "꺼짐"),
    "search.title": ("Find a scene", "장면 찾기"),
    "search.box": ("Describe the scene, in Korean or English", "장면을 설명하세요 (한국어 또는 영어)"),
    "search.video": ("Video", "영상"),
    "search.all": ("All videos", "모든 영상"),
    "search.quotes": ('Put remembered dialogue in quotes: "…" or 「…」. The rest describes the picture and is read '
                      'on screen too.', '기억나는 대사는 따옴표 안에: "…" 또는 「…」. 나머지는 화면과 자막에서 찾습니다.'),
    "search.photo": ("Or find a person: a photo of them (with or without a description)",
                     "또는 인물 찾기: 그 사람의 사진 (설명과 함께 또는 사진만)"),
    "search.empty": ("The library is empty. Add videos on the **Ingest** page, or run `python main.py ingest PATH`.",
                     "라이브러리가 비어 있습니다. **영상 추가** 페이지에서 추가하거나 `python main.py ingest PATH` 를 실행하세요."),
    "sure": ("{label} confidence", "신뢰도 {label}"),
    "sure.high": ("high", "높음"), "sure.medium": ("medium", "보통"), "sure.low": ("low", "낮음"),
    "sure.unknown": ("unknown", "알 수 없음"),
    "why": ("Why this hit", "이 결과의 근거"),
    "play": ("Play from {at}", "{at}부터 재생"),
    "like": ("More like this", "비슷한 장면"),
    "like.off": ("the picture channel is off: no picture model is installed",
                 "화면 채널이 꺼져 있습니다: 이미지 모델이 설치되지 않았습니다"),
    "like.help": ("shots that look like this one", "이 장면과 비슷해 보이는 장면"),
    "context": ("In context", "앞뒤 장면"),
    "cut": ("Cut clip", "클립 자르기"),
    "cut.help": ("the moment with a second either side", "앞뒤 1초를 포함한 장면"),
    "download": ("Download clip", "클립 내려받기"),
    "close": ("Close", "닫기"),
    "no_confident": ("No confident match in the library: these are the closest moments, all low confidence.",
                     "확실한 결과가 없습니다: 가장 가까운 장면들이며 모두 신뢰도가 낮습니다."),
    "export": ("Export all hits for an editor:", "편집용으로 모든 결과 내보내기:"),
    "back": ("Back to the search", "검색으로 돌아가기"),
    "ev.said": ("said", "대사"), "ev.on screen": ("on screen", "화면 글자"), "ev.caption": ("caption", "설명"),
    "ev.face": ("face", "얼굴"), "ev.picture": ("picture", "화면"),
    "ch.visual": ("picture", "화면"), "ch.dialogue": ("dialogue", "대사"), "ch.caption": ("caption", "장면 설명"),
    "ch.screen": ("on screen", "화면 글자"), "ch.faces": ("faces", "얼굴"),
    # the Ingest page
    "ingest.title": ("Add videos", "영상 추가"),
    "ingest.waiting": ("Waiting…", "기다리는 중…"),
    "ingest.batch": ("{done} of {total} new video(s)", "새 영상 {total}개 중 {done}개"),
    "ingest.batch_done": ("{done} of {total}: {name} {status}", "{total}개 중 {done}개: {name} {status}"),
    "ingest.decoding": ("{name}: decoding", "{name}: 디코딩 중"),
    "ingest.at": ("{name}: {at} of {length}", "{name}: {length} 중 {at}"),
    "ingest.tab_upload": ("Upload", "업로드"),
    "ingest.tab_folder": ("Folder on this server", "이 서버의 폴더"),
    "ingest.files": ("Video files (up to {mb} MB each)", "영상 파일 (파일당 최대 {mb} MB)"),
    "ingest.go_upload": ("Ingest uploads", "업로드한 영상 추가"),
    "ingest.folder": ("Folder (searched recursively for videos)", "폴더 (하위 폴더의 영상까지 찾습니다)"),
    "ingest.captions": ("Also caption every shot (slow on a CPU)", "모든 장면에 설명도 붙이기 (CPU에서는 느림)"),
    "ingest.ray": ("Run on Ray (a local runtime, or the cluster SCENE_FINDER_RAY_ADDRESS names)",
                   "Ray에서 실행 (로컬 런타임, 또는 SCENE_FINDER_RAY_ADDRESS 의 클러스터)"),
    "ingest.go_folder": ("Ingest folder", "폴더 추가"),
    "ingest.outside": ("{path} is outside the media folders this server may read ({roots}); the server's operator "
                       "can add it to SCENE_FINDER_MEDIA_ROOTS",
                       "{path} 는 이 서버가 읽을 수 있는 미디어 폴더({roots}) 밖에 있습니다. 서버 운영자가 "
                       "SCENE_FINDER_MEDIA_ROOTS 에 추가할 수 있습니다"),
    "ingest.not_folder": ("{path} is not a folder on this server", "{path} 는 이 서버의 폴더가 아닙니다"),
    "ingest.counts": ("{ingested} ingested, {skipped} skipped, {failed} failed",
                      "{ingested}개 추가, {skipped}개 건너뜀, {failed}개 실패"),
    "ingest.library": ("Library", "라이브러리"),
    "ingest.col.video": ("video", "영상"), "ingest.col.length": ("length", "길이"), "ingest.col.shots": ("shots", "장면"),
    "ingest.col.added": ("added", "추가한 때"),
    "ingest.no_videos": ("No videos yet.", "아직 영상이 없습니다."),
    "ingest.remove": ("Remove from library", "라이브러리에서 빼기"),
    "ingest.remove_ask": ("Remove {name} from the library? The file itself stays where it is.",
                          "{name} 을(를) 라이브러리에서 뺄까요? 파일은 그대로 남습니다."),
    "ingest.remove_yes": ("Remove", "빼기"),
    "ingest.remove_no": ("Keep it", "그대로 두기"),
    "ingest.removed": ("Removed {name}", "{name} 을(를) 뺐습니다"),
    "ingest.reingest": ("Re-ingest", "다시 추가"),
    "ingest.gone": ("{path} is no longer there; remove it instead", "{path} 가 더 이상 없습니다. 라이브러리에서 빼세요"),
    # the Video to text page
    "v2t.title": ("Video to text", "영상 설명"),
    "v2t.from_library": ("From the library", "라이브러리에서"),
    "v2t.upload": ("Upload a clip", "클립 업로드"),
    "v2t.empty": ("The library is empty: upload a clip, or add videos on the Ingest page.",
                  "라이브러리가 비어 있습니다: 클립을 업로드하거나 영상 추가 페이지에서 영상을 추가하세요."),
    "v2t.library_video": ("Library video", "라이브러리 영상"),
    "v2t.clip": ("A video clip", "영상 클립"),
    "v2t.span": ("Span (seconds)", "구간 (초)"),
    "v2t.span_of": ("{start} – {end} ({seconds:.1f} s) of {length}", "{length} 중 {start} – {end} ({seconds:.1f}초)"),
    "v2t.no_preview": ("Cannot preview this span: {error}", "이 구간을 미리 볼 수 없습니다: {error}"),
    "v2t.langs": ("Caption languages", "설명 언어"),
    "v2t.base_only": ("Base model only (ignore the LoRA adapter)", "기본 모델만 (LoRA 어댑터 사용 안 함)"),
    "v2t.go": ("Describe this span", "이 구간 설명하기"),
    "v2t.working": ("Captioning…", "설명 만드는 중…"),
    "v2t.dialogue_only": ("No caption: the dialogue only", "설명 없음: 대사만"),
    "v2t.done": ("Done", "완료"),
    "v2t.failed": ("Failed", "실패"),
    "v2t.problem": ("No caption for this span: {problem}. The dialogue is below. A captioning model can be named "
                    "with SCENE_FINDER_CAPTION_MODEL (a folder or a model name) before starting the app.",
                    "이 구간의 설명이 없습니다: {problem}. 대사는 아래에 있습니다. 앱을 시작하기 전에 "
                    "SCENE_FINDER_CAPTION_MODEL 로 설명 모델(폴더 또는 모델 이름)을 지정할 수 있습니다."),
    "v2t.no_dialogue": ("No dialogue in this span.", "이 구간에는 대사가 없습니다."),
    "v2t.at": ("at", "시각"), "v2t.line": ("line", "대사"),
    "v2t.json": ("Download JSON", "JSON 내려받기"),
    "v2t.srt": ("Download SRT", "SRT 내려받기"),
    # the People page
    "people.title": ("People", "인물"),
    "people.none": ("No faces in the library yet: ingest videos with the faces channel on, or run "
                    "`python main.py reindex --faces` for videos added before it.",
                    "라이브러리에 아직 얼굴이 없습니다: 얼굴 채널을 켜고 영상을 추가하거나, 그 전에 추가한 영상은 "
                    "`python main.py reindex --faces` 를 실행하세요."),
    "people.count": ("{n} people. Name one to search by the name; join two that are the same person.",
                     "{n}명. 이름을 붙이면 이름으로 찾을 수 있고, 같은 사람인 둘은 합칠 수 있습니다."),
    "people.person": ("person {id}", "인물 {id}"),
    "people.counts": ("{shots} shots · {videos} videos", "장면 {shots}개 · 영상 {videos}개"),
    "people.name": ("name", "이름"),
    "people.save": ("Save", "저장"),
    "people.join_title": ("Join two people", "두 인물 합치기"),
    "people.keep": ("Keep", "남길 인물"),
    "people.gone": ("Join into it", "합칠 인물"),
    "people.join": ("Join", "합치기"),
    "people.label": ("{name} #{id} ({shots} shots)", "{name} #{id} (장면 {shots}개)"),
    "people.someone": ("person", "인물"),
}


def lang() -> str:
    """"ko" or "en": the sidebar's choice, else the browser's language."""
    chosen = st.session_state.get("ui.lang")
    if chosen in ("en", "ko"):
        return chosen
    try:
        locale = st.context.locale or ""
    except Exception:  # noqa: BLE001 - no browser (a test run): English
        locale = ""
    return "ko" if locale.lower().startswith("ko") else "en"


def t(key: str, **values) -> str:
    en, ko = WORDS[key]
    return (ko if lang() == "ko" else en).format(**values)


def language_switch() -> None:
    """In the sidebar: English or 한국어 (kept for the session)."""
    options = {"en": "English", "ko": "한국어"}
    current = lang()
    picked = st.sidebar.radio(t("lang"), list(options), index=list(options).index(current),
                              format_func=options.get, horizontal=True, key="ui.lang_pick")
    if picked != current:
        st.session_state["ui.lang"] = picked
        st.rerun()
