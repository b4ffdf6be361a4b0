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
