"""Command-line runners of gig-worker cover (新就业形态人员专属灵活型保险): ``puhui price``,
``puhui review`` and ``puhui tune`` on a gig product file — read the product file and the data
folder strictly, call the family's report sections (:mod:`puhui.gig.reporting`), write the
report folder and its manifest.

Data folder (``--data DIR``; each table ``.csv``, ``.parquet`` or ``.xlsx``; headers in
English, Chinese or both):

* ``activity`` — the platform's activity log, one row per worker × day worked: ``worker``,
  ``platform``, ``city``, ``date``, ``orders`` (单量), ``hours`` (在线时长);
* ``claims`` (review) — one row per accident: ``claim_id``, ``worker``, ``platform``, ``city``,
  ``date``, ``line`` (death / disability / medical / liability), ``loss`` (ground-up, 元),
  ``grade`` (disability grade 1–10, 0 otherwise).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..data.schema import DATE, FLOAT, INT, STR, Column, Schema
from ..errors import ParameterError
from ..gig import reporting
from ..gig.product import LINES, GigProduct
from ..report import csv_bytes
from ..repro import check_output_folder, write_bytes
from .tables import read_folder_table, write_family_report

__all__ = ["ACTIVITY", "CLAIMS", "run_price", "run_review", "run_tune", "write_example"]

ACTIVITY = Schema("activity", "作业记录", "one row per worker × day worked", (
    Column("worker", STR, "骑手", "worker id"),
    Column("platform", STR, "平台", "platform"),
    Column("city", STR, "城市", "city"),
    Column("date", DATE, "日期", "day worked"),
    Column("orders", FLOAT, "单量", "orders delivered", minimum=0.0, maximum=1e6),
    Column("hours", FLOAT, "在线时长", "hours online", minimum=0.0, maximum=1e6),
))
CLAIMS = Schema("claims", "理赔", "one row per accident", (
    Column("claim_id", STR, "赔案号", "claim id"),
    Column("worker", STR, "骑手", "worker id"),
    Column("platform", STR, "平台", "platform"),
    Column("city", STR, "城市", "city"),
    Column("date", DATE, "出险日期", "day of the accident"),
    Column("line", STR, "责任", "benefit line", allowed=LINES),
    Column("loss", FLOAT, "损失", "ground-up loss (元)", minimum=0.0, maximum=1e12),
    Column("grade", INT, "伤残等级", "disability grade 1–10 (0 otherwise)", required=False,
           minimum=0, maximum=10),
))


def _as_of(log) -> str:
    """The rule check's date: the end of the log's latest year (deterministic outputs)."""
    return f"{int(log['date'].max().year)}-12-31"


def _run(command: str, title: str, product_path, data_dir, out_dir, options: dict,
         section, *, claims: bool = False, title_zh: str | None = None) -> Path:
    inputs = (product_path, data_dir)
    check_output_folder(out_dir, inputs=inputs)
    product = GigProduct.from_toml(product_path)
    log, lpath = read_folder_table(data_dir, "activity", ACTIVITY)
    if len(log) == 0:
        raise ParameterError(f"{lpath}: the activity log has no rows")
    paths = {"activity": lpath}
    data = {"log": log}
    if claims:
        data["claims"], paths["claims"] = read_folder_table(data_dir, "claims", CLAIMS)
    as_of = _as_of(log)
    return write_family_report(command, title, {"family": "gig"}, product, product_path,
                               data_dir, out_dir, paths, inputs, options, section, data,
                               as_of, title_zh=title_zh)


def run_price(product_path, data_dir, out_dir, *, policy_books=()) -> Path:
    """``puhui price`` of a gig product: premium per order / day / hour on the activity log."""
    return _run("price", "Pricing (定价)", product_path, data_dir, out_dir,
                {"policy_books": list(map(str, policy_books))},
                lambda rep, p, data, **kw: reporting.add_price(rep, p, data["log"], **kw),
                title_zh="定价")


def run_review(product_path, data_dir, out_dir, *, policy_books=()) -> Path:
    """``puhui review`` of a gig product on the activity log and the claims."""
    return _run("review", "Experience review (经验回溯)", product_path, data_dir, out_dir,
                {"policy_books": list(map(str, policy_books))},
                lambda rep, p, data, **kw: reporting.add_review(rep, p, data["log"],
                                                                data["claims"], **kw),
                claims=True, title_zh="经验回溯")


def run_tune(product_path, data_dir, out_dir, *, deductibles=None, payout_ratios=None,
             premiums=None, max_premium_per_day: float = 3.0, max_prob_loss: float = 0.10,
             policy_books=()) -> Path:
    """``puhui tune`` of a gig product: medical 免赔额 × 赔付比例 × premium per order."""
    options = {"deductibles": deductibles, "payout_ratios": payout_ratios,
               "premiums": premiums, "max_premium_per_day": max_premium_per_day,
               "max_prob_loss": max_prob_loss, "policy_books": list(map(str, policy_books))}
    return _run("tune", "Tuning (方案调优)", product_path, data_dir, out_dir, options,
                lambda rep, p, data, **kw: reporting.add_tuning(
                    rep, p, data["log"], deductibles=deductibles, payout_ratios=payout_ratios,
                    premiums=premiums, max_premium_per_day=max_premium_per_day,
                    max_prob_loss=max_prob_loss, **kw),
                title_zh="方案调优")


def write_example(folder: Path, *, size: int | None = None, seed: int | None = None) -> list[Path]:
    """Write the example data folder into ``folder`` (a staged, empty folder): ``activity.csv``
    and ``claims.csv`` of :func:`puhui.datasets.gig.load_gig` (``size`` riders; default 2,400 —
    about 450,000 rider-days, a 20 MB log) and the example product file ``gig.toml``."""
    from ..datasets.gig import SEED, WORKERS, load_gig
    from ..gig.product import example_product_path

    workers = WORKERS if size is None else int(size)
    if workers < 1:
        raise ParameterError(f"--size must be ≥ 1, got {workers}")
    d = load_gig(SEED if seed is None else int(seed), workers=workers)
    log = d["log"].assign(date=d["log"]["date"].dt.strftime("%Y-%m-%d"))
    claims = d["claims"].assign(date=d["claims"]["date"].dt.strftime("%Y-%m-%d"))
    written = [write_bytes(folder / "activity.csv", csv_bytes(log)),
               write_bytes(folder / "claims.csv", csv_bytes(claims))]
    target = folder / "gig.toml"
    shutil.copyfile(example_product_path(), target)
    return [*written, target]
