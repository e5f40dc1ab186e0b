"""Exported weights: parity with sklearn, safe loading, errors that say how to fix them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

from engine import make_message
from engine.score import FEATURE_NAMES, ModelError, load_model, shipped_model
from engine.score.simulate import Simulation
from engine.score.train import Send, TrainResult

DRAFTS = [
    "【优选商城】全场5折！速来抢购！戳 t.cn/A6x1，拒收请回复R",
    "【优选商城】王先生，您有3张满200减50券待领，有效期至本周日，点击 t.cn/A6x1 领取，拒收请回复R",
    "【云途旅行】尊敬的会员，机票8折起，详见App",
]


def test_exported_weights_equal_predict_proba(trained: TrainResult, sim: Simulation) -> None:
    msgs = [make_message(t, send_at="2026-11-28T20:00", industry="travel") for t in DRAFTS]
    msgs += [v.message for v in sim.variants[:200]]
    sk = trained.pipeline.predict_proba([Send(m, 0.0) for m in msgs])[:, 1]
    ours = np.array([trained.model.predict(m) for m in msgs])
    assert np.max(np.abs(sk - ours)) < 1e-9


def test_round_trip_through_json(trained: TrainResult, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(orjson.dumps(trained.model.to_dict()))
    loaded = load_model(path)
    assert loaded == trained.model


def test_shipped_model_matches_this_versions_features() -> None:
    m = shipped_model()
    assert m.feature_names == FEATURE_NAMES
    assert m.trained_on == "simulated"
    assert "vip" in m.controls


def _write(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "engagement.json"
    p.write_bytes(orjson.dumps(data))
    return p


def test_error_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"cannot read the model .*Train one: xinshi model train"):
        load_model(tmp_path / "nope.json")


def test_error_not_json(tmp_path: Path) -> None:
    p = tmp_path / "engagement.json"
    p.write_text("{", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model(p)


def test_error_other_features(tmp_path: Path) -> None:
    data = shipped_model().to_dict()
    data["features"] = [*data["features"][:-1], "industry_space"]
    with pytest.raises(
        ModelError, match=r"unknown: \['industry_space'\].*Retrain with this version"
    ):
        load_model(_write(tmp_path, data))


def test_error_bad_coef(tmp_path: Path) -> None:
    data = shipped_model().to_dict()
    data["coef"] = data["coef"][:-1]
    with pytest.raises(ModelError, match="'coef' must be 21 finite numbers"):
        load_model(_write(tmp_path, data))


def test_error_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"missing key\(s\) format, version"):
        load_model(_write(tmp_path, {"features": []}))


def test_directory_means_the_model_file_in_it() -> None:
    root = Path(__file__).resolve().parents[2] / "models"
    assert load_model(root) == shipped_model()
