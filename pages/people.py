"""People: everyone whose face the library holds, grouped; name a person once (then search "지민이 우산을
펴는 장면"), join two that are one."""

import streamlit as st

from modules.errors import USER_ERRORS
from pages.common import library_changed, route_through_main, settings, sidebar_models
from pages.words import t

route_through_main()
st.title(t("people.title"))
sidebar_models()


def people_now() -> list[dict]:
    from modules.people import group_people
    from modules.store import Library

    db = settings().db_dir
    if not (db / "catalog.sqlite").exists():
        return []
    with Library.open(db, writable=True) as lib:
        counts = group_people(lib)  # new tracks join the person they look like
        if counts["tracks grouped"]:
            library_changed()
        return lib.people()


def change(action: str, *args) -> None:
    from modules.store import Library

    with Library.open(settings().db_dir, writable=True) as lib:
        getattr(lib, action)(*args)
    library_changed()


try:
    people = people_now()
except USER_ERRORS as exc:
    st.error(str(exc))
    st.stop()
if not people:
    st.info(t("people.none"))
    st.stop()

st.caption(t("people.count", n=len(people)))
cols = st.columns(6)
for i, p in enumerate(people):
    with cols[i % 6]:
        st.image(p["crop"], width=96)
        st.markdown(f"**{p['name'] or t('people.person', id=p['id'])}**  \n"
                    + t("people.counts", shots=p["shots"], videos=p["videos"]))
        name = st.text_input(t("people.name"), value=p["name"], key=f"people.name.{p['id']}", label_visibility="collapsed",
                             placeholder=t("people.name"))
        if name.strip() and name.strip() != p["name"] and st.button(t("people.save"), key=f"people.save.{p['id']}"):
            change("name_person", p["id"], name.strip())
            st.rerun()

st.subheader(t("people.join_title"))
label = {p["id"]: t("people.label", name=p["name"] or t("people.someone"), id=p["id"], shots=p["shots"]) for p in people}
a, b, c = st.columns([2, 2, 1])
keep = a.selectbox(t("people.keep"), list(label), format_func=label.get, key="people.keep")
gone = b.selectbox(t("people.gone"), [i for i in label if i != keep], format_func=label.get, key="people.gone")
if gone is not None and c.button(t("people.join"), key="people.merge"):
    change("merge_people", keep, gone)
    st.rerun()
