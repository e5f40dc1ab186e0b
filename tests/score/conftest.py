"""A small simulation and model shared by the engagement-model tests."""

from __future__ import annotations

import pytest

from engine.score.simulate import Simulation, simulate
from engine.score.train import TrainResult, train


@pytest.fixture(scope="session")
def sim() -> Simulation:
    """200 campaigns × 4 drafts × 2,000 sends (~0.1 s)."""
    return simulate(campaigns=200, seed=1)


@pytest.fixture(scope="session")
def trained(sim: Simulation) -> TrainResult:
    """A model trained on the shared simulation (~1 s)."""
    return train(sim.cells, trained_on="simulated", source="test", truth=sim.variants, sim=sim)
