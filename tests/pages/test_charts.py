"""A figure is built once for equal data, however the data's objects are shared."""

from streamlit.testing.v1 import AppTest


def _app() -> None:
    import plotly.graph_objects as go
    import streamlit as st

    from ui import charts

    built = st.session_state.setdefault("built", [])

    def bars(labels: list[str], values: list[int]):
        built.append(list(labels))
        return go.Figure(go.Bar(x=labels, y=values))

    name = "Enterprise"
    same = [name, name]  # one string object twice
    equal = [name, "".join(["Enter", "prise"])]  # two equal string objects
    charts.draw(bars, same, [1, 2], key="one")
    charts.draw(bars, equal, [1, 2], key="two")
    charts.draw(bars, ["Enterprise", "SMB"], [1, 2], key="three")


def test_equal_data_draws_the_figure_built_for_it():
    at = AppTest.from_function(_app, default_timeout=30).run()
    assert not at.exception
    assert at.session_state["built"] == [["Enterprise", "Enterprise"], ["Enterprise", "SMB"]]
    assert len(at.get("plotly_chart")) == 3
