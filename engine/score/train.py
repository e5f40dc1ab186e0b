"""Cells -> a fitted scikit-learn Pipeline -> exported weights, with held-out evaluation.

Validation follows the design note (shared/reference/engagement_model.md §4): split by
campaign, never by send; report AUC next to its ceiling, log loss and Brier next to the base
rate, a calibration table and within-campaign pick-the-better accuracy.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from engine.message import Message
from engine.score.features import COPY_FEATURES, FEATURE_NAMES, features
from engine.score.model import EngagementModel, model_from_dict
from engine.score.simulate import (
    CAMPAIGN_SD,
    RECIPIENT_SD,
    TRUE_EFFECTS,
    VIP_EFFECT,
    Cell,
    Simulation,
    Variant,
)

Array = npt.NDArray[np.float64]
CONTROLS = ("vip",)
CALIBRATION_BINS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.13, 0.16, 0.20, 0.30, 1.0)


class Send(NamedTuple):
    """What the pipeline reads per row: the message and the audience controls."""

    message: Message
    vip: float = 0.0


class CopyFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Sends -> [features(message)..., controls...]: the same features() that scoring uses."""

    def __init__(self, controls: tuple[str, ...] = CONTROLS) -> None:
        self.controls = controls

    def fit(self, X: Sequence[Send], y: Any = None) -> CopyFeatures:  # noqa: N803 - sklearn
        """Record the output feature names."""
        self.feature_names_out_ = np.array([*FEATURE_NAMES, *self.controls], dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def transform(self, X: Sequence[Send]) -> Array:  # noqa: N803 - sklearn
        """Return one row per send."""
        return np.array(
            [[*features(s.message), *(getattr(s, c) for c in self.controls)] for s in X],
            dtype=np.float64,
        )

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Names of the output columns."""
        return self.feature_names_out_


def make_pipeline(C: float = 1.0) -> Pipeline:  # noqa: N803 - sklearn's name
    """The training pipeline: copy features -> logistic regression."""
    return Pipeline(
        [
            ("features", CopyFeatures()),
            ("clf", LogisticRegression(C=C, max_iter=2000)),
        ]
    )


def expand(cells: Sequence[Cell]) -> tuple[list[Send], Array, Array]:
    """Cells -> two weighted rows each (clicked, not clicked) for sample_weight fitting."""
    X: list[Send] = []  # noqa: N806
    y, w = [], []
    for c in cells:
        s = Send(c.message, c.vip)
        X += [s, s]  # noqa: N806
        y += [1.0, 0.0]
        w += [float(c.clicks), float(c.n - c.clicks)]
    return X, np.array(y), np.array(w)


def fit(cells: Sequence[Cell], C: float = 1.0) -> Pipeline:  # noqa: N803
    """Fit the pipeline on cells."""
    X, y, w = expand(cells)  # noqa: N806
    return make_pipeline(C).fit(X, y, clf__sample_weight=w)


def export(pipe: Pipeline, meta: dict[str, Any]) -> EngagementModel:
    """Fitted pipeline -> plain weights (controls are held at 0 when scoring)."""
    clf = pipe.named_steps["clf"]
    names = list(pipe.named_steps["features"].get_feature_names_out())
    coef = [float(c) for c in clf.coef_[0]]
    k = len(FEATURE_NAMES)
    blob = repr((coef, float(clf.intercept_[0]))).encode()
    version = f"{datetime.now(UTC):%Y%m%d}-{hashlib.sha256(blob).hexdigest()[:8]}"
    return model_from_dict(
        {
            "format": 1,
            "version": version,
            "features": names[:k],
            "coef": coef[:k],
            "intercept": float(clf.intercept_[0]),
            "controls": dict(zip(names[k:], coef[k:], strict=True)),
            "meta": meta,
        },
        "<exported>",
    )


def split_by_campaign(
    cells: Sequence[Cell], test_fraction: float = 0.25, seed: int = 0
) -> tuple[list[Cell], list[Cell]]:
    """Hold out whole campaigns: a test campaign has no send in training."""
    ids = sorted({c.campaign_id for c in cells})
    rng = np.random.default_rng(seed)
    test_ids = set(rng.choice(ids, size=max(1, round(len(ids) * test_fraction)), replace=False))
    return (
        [c for c in cells if c.campaign_id not in test_ids],
        [c for c in cells if c.campaign_id in test_ids],
    )


def _controls_logit(model: EngagementModel, c: Cell) -> float:
    return model.controls.get("vip", 0.0) * c.vip


def evaluate(
    model: EngagementModel, cells: Sequence[Cell], truth: Sequence[Variant] = ()
) -> dict[str, Any]:
    """Held-out metrics on sends (weighted cells), with the base rate and, if known, the oracle."""
    p = np.array(
        [
            1 / (1 + math.exp(-(model.logit(features(c.message)) + _controls_logit(model, c))))
            for c in cells
        ]
    )
    n = np.array([c.n for c in cells], dtype=float)
    k = np.array([c.clicks for c in cells], dtype=float)
    y = np.r_[np.ones(len(cells)), np.zeros(len(cells))]
    w = np.r_[k, n - k]
    pp = np.r_[p, p]
    base = float(k.sum() / n.sum())
    out: dict[str, Any] = {
        "sends": int(n.sum()),
        "clicks": int(k.sum()),
        "campaigns": len({c.campaign_id for c in cells}),
        "auc": float(roc_auc_score(y, pp, sample_weight=w)),
        "log_loss": float(log_loss(y, pp, sample_weight=w)),
        "brier": float(brier_score_loss(y, pp, sample_weight=w)),
        "base_rate": base,
        "base_log_loss": float(log_loss(y, np.full_like(pp, base), sample_weight=w)),
        "base_brier": float(brier_score_loss(y, np.full_like(pp, base), sample_weight=w)),
    }
    table = []
    ece = 0.0
    for lo, hi in itertools.pairwise(CALIBRATION_BINS):
        m = (p >= lo) & (p < hi)
        sends = float(n[m].sum())
        if not sends:
            continue
        pred = float((p[m] * n[m]).sum() / sends)
        obs = float(k[m].sum() / sends)
        ece += sends / n.sum() * abs(pred - obs)
        table.append(
            {"bin": f"{lo:.2f}–{hi:.2f}", "sends": int(sends), "predicted": pred, "observed": obs}
        )
    out["calibration"] = table
    out["ece"] = float(ece)
    if truth:
        out.update(_truth_metrics(model, cells, truth, y, w))
    return out


def _marginal(z: Array) -> Array:
    """E[sigmoid(z + e)], e ~ N(0, RECIPIENT_SD²), by Gauss-Hermite quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(24)
    zz = z[:, None] + RECIPIENT_SD * nodes[None, :]
    return np.asarray((1 / (1 + np.exp(-zz))) @ weights / weights.sum(), dtype=np.float64)


def _truth_metrics(
    model: EngagementModel, cells: Sequence[Cell], truth: Sequence[Variant], y: Array, w: Array
) -> dict[str, Any]:
    by_id = {v.variant_id: v for v in truth}
    z = np.array(
        [
            by_id[str(c.message.id)].true_logit
            + by_id[str(c.message.id)].campaign_effect
            + VIP_EFFECT * c.vip
            for c in cells
        ]
    )
    p_true = _marginal(z)
    held = {c.campaign_id for c in cells}
    pairs = right = 0
    per_campaign: dict[str, list[Variant]] = {}
    for v in truth:
        if v.campaign_id in held:
            per_campaign.setdefault(v.campaign_id, []).append(v)
    for vs in per_campaign.values():
        for i, a in enumerate(vs):
            for b in vs[i + 1 :]:
                if abs(a.true_logit - b.true_logit) < 1e-9:
                    continue
                pairs += 1
                da = model.logit(features(a.message)) - model.logit(features(b.message))
                right += (da > 0) == (a.true_logit > b.true_logit)
    return {
        "oracle_auc": float(roc_auc_score(y, np.r_[p_true, p_true], sample_weight=w)),
        "oracle_log_loss": float(log_loss(y, np.r_[p_true, p_true], sample_weight=w)),
        "pairs": pairs,
        "pairwise_accuracy": right / pairs if pairs else float("nan"),
    }


def attenuation(sd: float) -> float:
    """Return the factor by which N(0, sd²) noise shrinks marginal logit effects (probit)."""
    return 1 / math.sqrt(1 + 0.346 * sd**2)


def effects_table(model: EngagementModel) -> list[dict[str, Any]]:
    """Recovered coefficient vs ground truth (and the attenuated value a pooled fit targets)."""
    att = attenuation(math.hypot(RECIPIENT_SD, CAMPAIGN_SD))
    return [
        {
            "feature": name,
            "true": TRUE_EFFECTS[name],
            "expected": TRUE_EFFECTS[name] * att,
            "estimated": coef,
        }
        for name, coef in zip(model.feature_names, model.coef, strict=True)
    ]


def confounding_demo(sim: Simulation, C: float = 1e4) -> dict[str, float]:  # noqa: N803
    """Name-salutation effect estimated three ways on the same confounded logs.

    - pooled, no audience control: credits the name with the VIPs' higher rate (biased up);
    - pooled with the vip control: unbiased;
    - within campaign (campaign fixed effects, copy features only, no audience data): unbiased,
      because recipients were randomised to drafts inside each campaign.
    """
    cells = sim.cells
    X, y, w = expand(cells)  # noqa: N806
    rows = CopyFeatures().fit(X).transform(X)
    name = FEATURE_NAMES.index("name_salutation")
    k = len(FEATURE_NAMES)
    out = {"true": TRUE_EFFECTS["name_salutation"]}
    lr = LogisticRegression(C=C, max_iter=5000)
    out["pooled_without_audience"] = float(lr.fit(rows[:, :k], y, sample_weight=w).coef_[0][name])
    out["pooled_with_audience"] = float(lr.fit(rows, y, sample_weight=w).coef_[0][name])
    ids = sorted({c.campaign_id for c in cells})
    index = {cid: i for i, cid in enumerate(ids)}
    dummies = np.zeros((len(X), len(ids)))
    for i in range(len(X)):
        dummies[i, index[cells[i // 2].campaign_id]] = 1.0
    ncopy = len(COPY_FEATURES)
    within = np.hstack([rows[:, :ncopy], dummies])
    fe = LogisticRegression(C=C, max_iter=5000, fit_intercept=False)
    out["within_campaign"] = float(fe.fit(within, y, sample_weight=w).coef_[0][name])
    out["expected_pooled"] = out["true"] * attenuation(math.hypot(RECIPIENT_SD, CAMPAIGN_SD))
    out["expected_within"] = out["true"] * attenuation(RECIPIENT_SD)
    return out


@dataclass
class TrainResult:
    """A trained model with its evaluation, ready to write as artifacts."""

    model: EngagementModel
    pipeline: Pipeline
    metrics: dict[str, Any]
    effects: list[dict[str, Any]] = field(default_factory=list)
    confounding: dict[str, float] = field(default_factory=dict)
    pairs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # split -> table


def pair_figures(model: EngagementModel) -> dict[str, list[dict[str, Any]]]:
    """Per split and practice, the single-practice pairs the model orders right (if shipped)."""
    from engine.score.pairs import SPLITS, judge, load_pairs, pairs_dir, practice_table

    if not pairs_dir().is_dir():
        return {}
    return {split: practice_table([judge(p, model) for p in load_pairs(split)]) for split in SPLITS}


def train(
    cells: Sequence[Cell],
    *,
    trained_on: str,
    source: str,
    truth: Sequence[Variant] = (),
    sim: Simulation | None = None,
    C: float = 1.0,  # noqa: N803
    seed: int = 0,
) -> TrainResult:
    """Split by campaign, fit, evaluate on held-out campaigns, refit on everything, export."""
    train_cells, test_cells = split_by_campaign(cells, seed=seed)
    held_model = export(fit(train_cells, C), {})
    metrics = evaluate(held_model, test_cells, truth)
    pipe = fit(cells, C)
    data = {
        "source": source,
        "campaigns": len({c.campaign_id for c in cells}),
        "variants": len({(c.campaign_id, c.message.text) for c in cells}),
        "sends": sum(c.n for c in cells),
        "clicks": sum(c.clicks for c in cells),
        "vip_share": sum(c.n * c.vip for c in cells) / max(1, sum(c.n for c in cells)),
    }
    meta = {
        "trained_on": trained_on,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": "P(click on the message's link | sent), for a regular (non-VIP) recipient",
        "data": data,
        "held_out": {k: v for k, v in metrics.items() if k != "calibration"},
        "C": C,
        "sklearn": sklearn.__version__,
    }
    model = export(pipe, meta)
    result = TrainResult(model, pipe, metrics, pairs=pair_figures(model))
    if trained_on == "simulated":
        result.effects = effects_table(model)
        if sim is not None:
            result.confounding = confounding_demo(sim)
    return result
