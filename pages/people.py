"""People: everyone whose face the library holds, grouped; name a person once (then search "지민이 우산을
펴는 장면"), join two that are one."""

import streamlit as st

from modules.errors import USER_ERRORS
from pages.common import library_changed, route_through_main, settings, sidebar_models

route_through_main()
st.title("People")
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
    st.info("No faces in the library yet: ingest videos with the faces channel on, or run "
            "`python main.py reindex --faces` for videos added before it.")
    st.stop()

st.caption(f"{len(people)} people. Name one to search by the name; join two that are the same person.")
cols = st.columns(6)
for i, p in enumerate(people):
    with cols[i % 6]:
        st.image(p["crop"], width=96)
        st.markdown(f"**{p['name'] or 'person ' + str(p['id'])}**  \n{p['shots']} shots · {p['videos']} videos")
        name = st.text_input("Name", value=p["name"], key=f"people.name.{p['id']}", label_visibility="collapsed",
                             placeholder="name")
        if name.strip() and name.strip() != p["name"] and st.button("Save", key=f"people.save.{p['id']}"):
            change("name_person", p["id"], name.strip())
            st.rerun()

st.subheader("Join two people")
label = {p["id"]: f"{p['name'] or 'person'} #{p['id']} ({p['shots']} shots)" for p in people}
a, b, c = st.columns([2, 2, 1])
keep = a.selectbox("Keep", list(label), format_func=label.get, key="people.keep")
gone = b.selectbox("Join into it", [i for i in label if i != keep], format_func=label.get, key="people.gone")
if gone is not None and c.button("Join", key="people.merge"):
    change("merge_people", keep, gone)
    st.rerun()
