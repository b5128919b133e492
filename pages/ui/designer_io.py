"""Designer toolbar: open a sample, an uploaded YAML or a saved topology; undo; save; download.

UI layer. A bad upload or a failing save shows field-named messages and leaves the draft as it was.
"""

from __future__ import annotations

import streamlit as st

from pages.ui import session
from pages.ui.draft import Draft, draft_from_scenario, draft_from_yaml, empty_draft, error_lines, to_yaml
from pages.ui.services import services
from qnp_engine.model import ScenarioError


def open_bar() -> None:
    """Where the draft comes from: a sample, an upload, a saved topology, or a blank canvas."""
    c1, c2, c3 = st.columns([1.1, 1.4, 1.1])
    with c1:
        names = session.sample_names()
        pick = st.selectbox("Sample", names, key="designer_sample",
                            index=names.index(session.DEFAULT_SAMPLE) if session.DEFAULT_SAMPLE in names else 0)
        b1, b2 = st.columns(2)
        if b1.button("📂 Open sample", width="stretch", key="open_sample"):
            session.set_draft(draft_from_yaml(session.sample_yaml(pick)), source=f"sample {pick}", remount=True)
            st.rerun()
        if b2.button("🆕 Blank", width="stretch", key="open_blank", help="start an empty network"):
            session.set_draft(empty_draft(), source="blank", remount=True)
            st.rerun()
    with c2:
        _upload()
    with c3:
        _saved()


def _upload() -> None:
    key = f"upload_{st.session_state.get('upload_n', 0)}"
    up = st.file_uploader("Open a YAML file", type=["yaml", "yml"], key=key)
    if up is None:
        return
    try:
        text = up.getvalue().decode("utf-8")
        draft = draft_from_yaml(text)
    except UnicodeDecodeError:
        st.error(f"**{up.name}** is not a UTF-8 text file; nothing was changed.", icon="⚠️")
        return
    except ScenarioError as exc:
        lines = "\n".join(f"- {e}" for e in exc.errors)
        st.error(f"**{up.name}** is not a valid scenario; your current design is unchanged.\n{lines}", icon="⚠️")
        return
    st.session_state["upload_n"] = st.session_state.get("upload_n", 0) + 1  # clears the uploader
    session.set_draft(draft, source=f"upload {up.name}", remount=True)
    session.notify(f"Opened {up.name}")
    st.rerun()


def _saved() -> None:
    svc = services()
    if svc is None:
        return
    from storage.topologies import list_topologies, load_topology

    rows = list_topologies(svc.engine)
    if not rows:
        st.caption("No saved topologies yet: **Save** stores the current design in the database.")
        return
    names = [r.name for r in rows]
    pick = st.selectbox("Saved topology", names, key="designer_saved")
    if st.button("📥 Open saved", key="open_saved", width="stretch"):
        try:
            scenario = load_topology(svc.engine, pick)
        except Exception as exc:  # noqa: BLE001 - storage errors carry user-facing text
            st.error(str(exc), icon="⚠️")
            return
        session.set_draft(draft_from_scenario(scenario), source=f"saved {pick}", remount=True)
        st.rerun()


def action_bar(draft: Draft, valid: bool) -> None:
    """Undo, save to the database, download as YAML."""
    c1, c2, c3, c4 = st.columns([1, 1.6, 1, 1.2])
    if c1.button("↶ Undo", disabled=not session.can_undo(), key="undo", width="stretch",
                 help="undo the last change"):
        session.undo()
        st.rerun()
    name = c2.text_input("Save as", value=str(draft.get("name") or ""), key=f"save_name_{session.editor_version()}",
                         label_visibility="collapsed", placeholder="name to save under")
    if c3.button("💾 Save", key="save", disabled=not valid, width="stretch", help="save to the database"):
        _save(draft, name)
    text = session.draft_yaml() if valid else None
    if text is not None:
        c4.download_button("⬇️ YAML", data=text, file_name=f"{draft.get('name') or 'network'}.yaml",
                           mime="application/x-yaml", key="download_yaml", width="stretch", on_click="ignore")
    else:
        c4.button("⬇️ YAML", disabled=True, key="download_disabled", width="stretch",
                  help="fix the problems listed above to download")


def _save(draft: Draft, name: str) -> None:
    svc = services()
    if svc is None:
        return
    from storage.topologies import save_topology

    name = name.strip() or str(draft.get("name") or "")
    try:
        to_save = dict(draft, name=name) if name else draft
        row = save_topology(svc.engine, name, to_yaml(to_save))
    except ScenarioError as exc:
        st.error("Not saved:\n" + "\n".join(f"- {line}" for line in error_lines(draft, exc.errors)), icon="⚠️")
        return
    except Exception as exc:  # noqa: BLE001 - storage errors (conflicts, bad names) carry user-facing text
        st.error(f"Not saved: {exc}", icon="⚠️")
        return
    if name != draft.get("name"):
        session.set_draft(dict(draft, name=name), undoable=False)
    session.notify(f"Saved **{row.name}** (version {row.version}) to the database.")
    st.rerun()
