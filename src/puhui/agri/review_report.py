"""Writing an agricultural rate review (农险费率回溯) as report sections (Markdown, CSV, PNG)."""

from __future__ import annotations

from ..report import Report
from .review import CropReview


def add_crop_review(rep: Report, res: CropReview, *, prefix: str = "crop_review",
                    top: int = 30) -> None:
    """Append the review's sections to ``rep``: method and notes, the counties whose A/E lies
    above 1, the counties by credibility-weighted A/E, the factors that hit the band, the
    保费不足准备金 test, the full cell table (CSV) and the A/E figure of the ``top`` cells by
    credibility-weighted A/E."""
    s = res.summary()
    a = s.attrs
    t = res.table
    rep.heading("费率回溯 (rate review) by county")
    bands = "; ".join(f"{k}: {v or 'none in force'}" for k, v in res.band_rules.items())
    rep.text(
        f"Valuation date {res.as_of}; {a['cells']} county × crop cells, "
        f"{int(t['n_years'].sum()):,} closed county-years. A/E = indemnity / (filed pure rate × "
        f"liability), filed pure rate = 基准纯风险损失率 × 费率调整系数; {res.level:.0%} normal "
        "interval from the year-to-year variance of the yearly A/E pooled over each crop's "
        "counties; Bühlmann–Straub credibility with the zone as complement "
        "(`puhui.agri.county_rates` on the A/E ratios"
        + (", the province's common year effect removed first" if res.year_effect else "")
        + "); indicated factor = factor × credibility-weighted A/E, clipped into the band in "
        f"force ({bands}).")
    rep.text(
        f"**{a['above']}** cells have an A/E interval above 1 and {a['below']} below it; with "
        f"every filed rate right about {a['false_positive_expected']:.1f} would lie above by "
        f"chance at this level. **{a['band_hits']}** indicated factors fall outside the band "
        "and stop at its edge." + ("" if not res.notes else " Notes: " + " ".join(res.notes)))
    rep.table(f"{prefix}_structure", res.structure,
              caption="Structure per crop: credibility constant K = s²/a, within and between "
                      "variance, catastrophe threshold (A/E units) and the pooled variance of "
                      "the yearly A/E", floatfmt=",.4g")
    cols = ["region", *(["crop"] if "crop" in t.columns else []), "zone", "ae", "ae_lower",
            "ae_upper", "z", "credibility_ae", "factor", "indicated_factor", "new_factor",
            "band_hit"]
    rep.table(f"{prefix}_above", res.flagged("above")[cols],
              caption="Cells whose A/E interval lies above 1 (filed rate too low)",
              floatfmt=",.3f")
    by = res.by_region()
    money = ["liability", "indemnity", "expected"]
    by[money] = by[money].round(0).astype("int64")            # 元; the ratios keep decimals
    rep.table(f"{prefix}_by_county", by,
              caption="Counties over their crops, largest credibility-weighted A/E first",
              floatfmt=",.3f", max_rows=20)
    rep.table(f"{prefix}_band_hits", res.band_hits(),
              caption="Indicated factors outside the 费率调整系数 band: the new factor stops at the "
                      "edge; band_gap is what it could not follow", floatfmt=",.3f",
              max_rows=30)
    if res.adequacy_total is not None:
        tot = res.adequacy_total
        due = float(tot["deficiency"].sum())
        rep.heading("保费不足准备金 at the valuation date", level=3)
        rep.text(
            f"Policies in force on {res.as_of}: unearned premium "
            f"{float(tot['unearned_premium'].sum()):,.0f} 元 (1/365), expected claims of the "
            f"unexpired risk {float(tot['expected_claims'].sum()):,.0f} 元 at the indicated "
            f"pure rates; 保费不足准备金 due {due:,.0f} 元"
            + (" — the premium in force does not cover the unexpired risk." if due > 0
               else "; the 未赚保费准备金 is adequate."))
        rep.table(f"{prefix}_adequacy_total", tot, caption="保费不足准备金 by crop (险种)",
                  floatfmt=",.0f")
        rep.table(f"{prefix}_adequacy_cells", res.adequacy, floatfmt=",.0f",
                  caption="The same test by county (the reserve is held by 险种)", max_rows=20)
    rep.table(f"{prefix}_cells", t, caption="Every cell", floatfmt=",.4g", max_rows=15)
    ax = res.plot(top=top)
    rep.figure(f"{prefix}_ae", ax.figure, caption="A/E with its interval (red: above 1, blue: "
               "below) and the credibility-weighted A/E (diamonds), the "
               f"{top} cells with the largest credibility-weighted A/E; "
               "`CropReview.plot(crop=...)` draws one crop")
