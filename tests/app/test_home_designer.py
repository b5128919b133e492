"""AppTest: the landing page and the designer (canvas results emulated through session state)."""

from __future__ import annotations

import copy

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit_flow.elements import StreamlitFlowEdge, StreamlitFlowNode

from pages.ui import session
from pages.ui.services import Services
from qnp_engine.model import load_scenario
from storage.runs import list_runs
from storage.topologies import list_topologies, load_topology


def all_text(at) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.error, *at.warning, *at.success, *at.info)]
    return "\n".join(str(p) for p in parts)


def test_home_lists_samples_and_draws_the_selected_one(open_page) -> None:
    at = open_page()
    assert at.title[0].value == "⚛️ QNP Studio"
    radio = at.radio(key="home_sample")
    assert radio.options == session.sample_names() and radio.value == "metro-randstad"
    assert "10** nodes" in all_text(at)
    radio.set_value("chain-3").run()
    assert "**3** nodes · **2** links · **1** requests" in all_text(at)
    assert at.get("plotly_chart")  # the selected network, drawn with plotly
    at.button(key="home_open").click().run()
    assert at.title[0].value == "🛠️ Designer"
    assert at.session_state[session.DRAFT]["name"] == "chain-3"


def test_demo_opens_a_sample_and_starts_a_run(open_page, svc: Services) -> None:
    at = open_page()
    at.radio(key="home_sample").set_value("lab-link").run()
    at.button(key="home_demo").click().run()
    assert at.title[0].value == "▶️ Run"
    runs = list_runs(svc.engine)
    assert len(runs) == 1 and runs[0].name == "lab-link" and runs[0].label == "demo lab-link"
    assert at.session_state[session.ACTIVE_RUN] == runs[0].id
    assert "pairs:" not in runs[0].spec  # the demo keeps the circuits busy for the whole duration
    svc.manager.wait(runs[0].id, timeout_s=60)


def test_designer_canvas_add_connect_move_delete(open_page) -> None:
    at = open_page("pages/designer.py")
    assert not at.exception
    state = at.session_state[session.FLOW_STATE]
    assert [n.id for n in state.nodes] == ["A", "R", "B"]
    # What the component would return after the user created a node and connected it.
    state.nodes.append(StreamlitFlowNode("st-flow-node_q", (1000.0, 200.0), {"content": "C"}, style={}))
    state.edges.append(StreamlitFlowEdge("reactflow__edge-Bq", "B", "st-flow-node_q"))
    state.timestamp += 5
    at.run()
    draft = at.session_state[session.DRAFT]
    assert [n["name"] for n in draft["nodes"]] == ["A", "R", "B", "C"]
    assert (draft["links"][-1]["a"], draft["links"][-1]["b"]) == ("B", "C")
    # The canvas is redrawn from the draft: the new node now has its name as id.
    state = at.session_state[session.FLOW_STATE]
    assert [n.id for n in state.nodes][-1] == "C"
    # Delete R on the canvas (React Flow drops its edges too).
    state.nodes = [n for n in state.nodes if n.id != "R"]
    state.edges = [e for e in state.edges if "R" not in (e.source, e.target)]
    state.timestamp += 5
    at.run()
    draft = at.session_state[session.DRAFT]
    assert [n["name"] for n in draft["nodes"]] == ["A", "B", "C"]
    assert "no path between 'A' and 'B'" in all_text(at)  # the request lost its route: said by field
    at.button(key="undo").click().run()
    assert [n["name"] for n in at.session_state[session.DRAFT]["nodes"]] == ["A", "R", "B", "C"]
    assert not at.error


def test_designer_ignores_a_late_echo_of_an_older_canvas_state(open_page) -> None:
    at = open_page("pages/designer.py")
    first = copy.deepcopy(at.session_state[session.FLOW_STATE])  # what the canvas was given first
    at.button(key="add_end").click().run()  # a newer Python-side edit (a newer push)
    second = at.session_state[session.FLOW_STATE]
    assert [n.id for n in second.nodes] == ["A", "R", "B", "E1"]
    # The canvas's late answer to the first push arrives: it must not delete E1.
    first.timestamp = second.timestamp + 1_000
    at.session_state[session.FLOW_STATE] = first
    at.run()
    assert [n["name"] for n in at.session_state[session.DRAFT]["nodes"]] == ["A", "R", "B", "E1"]
    # A user deletion on the newer push that recreates the first state still counts.
    user = copy.deepcopy(second)
    user.nodes = [n for n in user.nodes if n.id != "E1"]
    user.timestamp = first.timestamp + 1_000
    at.session_state[session.FLOW_STATE] = user
    at.run()
    assert [n["name"] for n in at.session_state[session.DRAFT]["nodes"]] == ["A", "R", "B"]


def open_tab(at, label: str) -> None:
    """Select a designer tab as a click would: the tabs are lazy, only the open one is built."""
    at.session_state[session.DESIGNER_TAB] = label
    at.run()
    assert not at.exception, at.exception


def element_types(at) -> set[str]:
    seen: set[str] = set()

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            seen.add(child.type)
            walk(child)

    walk(at._tree)
    return seen


def test_designer_builds_only_the_open_tab_and_opener(open_page) -> None:
    at = open_page("pages/designer.py")
    # First view: the canvas, the inspector and the Nodes table; no map, no open-bar widgets.
    assert at.session_state[session.DESIGNER_TAB] == "Nodes" and not at.session_state[session.DESIGNER_OPENER]
    assert {"component_instance", "dataframe"} <= element_types(at)
    assert not at.get("plotly_chart") and "designer_sample" not in [s.key for s in at.selectbox]
    open_tab(at, "Map view")
    assert "Layout view" in str(at.get("plotly_chart")[0].proto.spec)
    assert "dataframe" not in element_types(at)  # the Nodes table is no longer built
    at.session_state[session.DESIGNER_OPENER] = True
    at.run()
    assert "designer_sample" in [s.key for s in at.selectbox]


@pytest.fixture
def served_files(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """URL -> bytes of every file AppTest's in-memory media store hands out (it is gone after each run)."""
    files: dict[str, bytes] = {}
    get_url = MemoryMediaFileStorage.get_url

    def recording_get_url(self: MemoryMediaFileStorage, file_id: str) -> str:
        url = get_url(self, file_id)
        files[url] = self.get_file(file_id).content
        return url

    monkeypatch.setattr(MemoryMediaFileStorage, "get_url", recording_get_url)
    return files


def download_text(at, files: dict[str, bytes]) -> str | None:
    """The YAML the designer's download button carries (None when it is the disabled stand-in)."""
    buttons = [b for b in at.get("download_button") if b.proto.label == "⬇️ YAML"]
    if not buttons:
        assert at.button(key="download_disabled").disabled
        return None
    return files[buttons[0].proto.url].decode()


def test_designer_tables_show_field_errors_and_undo(open_page, served_files) -> None:
    at = open_page("pages/designer.py")
    yaml_text = download_text(at, served_files)
    assert yaml_text is not None and load_scenario(yaml_text) == load_scenario(session.sample_yaml("chain-3"))
    open_tab(at, "Links")
    key = f"links_table_{at.session_state[session.EDITOR_VERSION]}"
    at.session_state[key] = {"edited_rows": {1: {"length_km": -5.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    draft = at.session_state[session.DRAFT]
    assert draft["links"][1]["length_km"] == -5.0
    errors = "\n".join(e.value for e in at.error)
    assert "links[1] (R–B) · length_km" in errors and "greater than or equal to 0" in errors
    assert at.button(key="save").disabled
    assert download_text(at, served_files) is None  # nothing to download while the draft is invalid
    at.button(key="undo").click().run()
    assert at.session_state[session.DRAFT]["links"][1]["length_km"] == 15.0 and not at.error
    assert load_scenario(download_text(at, served_files)) == load_scenario(yaml_text)


def test_designer_inspector_add_buttons_and_save(open_page, svc: Services) -> None:
    at = open_page("pages/designer.py")
    at.button(key="add_end").click().run()
    draft = at.session_state[session.DRAFT]
    assert draft["nodes"][-1]["name"] == "E1" and draft["nodes"][-1]["role"] == "end"
    assert at.selectbox(key="inspect_select").value == "node E1"
    at.selectbox(key="inspect_select").set_value("link R--B").run()
    version = at.session_state[session.EDITOR_VERSION]
    at.number_input(key=f"len_l1_{version}").set_value(40.0)
    next(b for b in at.button if b.label == "Apply").click().run()
    assert at.session_state[session.DRAFT]["links"][1]["length_km"] == 40.0
    assert not at.error  # E1 has no links yet: still valid (an unconnected end node is allowed)
    at.button(key="save").click().run()
    saved = load_topology(svc.engine, "chain-3")
    assert saved.topology.links[1].length_km == 40.0 and len(saved.topology.nodes) == 4
    assert [t.name for t in list_topologies(svc.engine)] == ["chain-3"]


def test_designer_opens_samples_and_shows_the_geo_view(open_page) -> None:
    at = open_page("pages/designer.py")
    at.session_state[session.DESIGNER_OPENER] = True
    open_tab(at, "Map view")
    at.selectbox(key="designer_sample").set_value("metro-randstad")
    at.button(key="open_sample").click().run()
    assert at.session_state[session.DRAFT]["name"] == "metro-randstad"
    assert "Geographic view" in str(at.get("plotly_chart")[0].proto.spec)
    assert not at.exception and not at.error
