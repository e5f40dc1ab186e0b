"""notebooks/engagement_model.ipynb runs top to bottom, so it never rots."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT


@pytest.mark.slow
def test_notebook_executes() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "engagement_model.ipynb", as_version=4)
    os.environ.setdefault("MPLBACKEND", "Agg")
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    outputs = "".join(
        o.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
    )
    assert "held-out AUC" in outputs and "within_campaign" in outputs
