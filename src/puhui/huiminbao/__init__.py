"""惠民保 (城市定制型商业医疗保险), one product family whole: the product file, the pricing basis,
pricing from member experience or a fitted cost model, the retrospective review (精算回溯), the
benefit tuning (方案调优) and their report sections.

=============================  ==========================================================
:class:`Product`               the product file (``huiminbao_example.toml``): lines, terms
                               by segment, price, expenses, target combined ratio
:func:`price_from_experience`  price per member from the member × line costs
:func:`price_from_model`       the same from a fitted cost model (:class:`CostModelFitter`)
:func:`review`                 A/E by cell, IBNR, combined ratio by policy year
:func:`tune`                   起付线 × 赔付比例 grid under the product's constraints
=============================  ==========================================================

>>> from puhui.huiminbao import Product, example_product_path
>>> Product.from_toml(example_product_path()).code
'HMB-XC'
"""

from __future__ import annotations

from .basis import age_band_of, basis_from_planted, check_basis, read_basis
from .cells import allocate_ibnr, experience_cells, member_cells
from .cost_model import CostModelFitter
from .member_payouts import MemberPayouts, member_payouts
from .pricing import price_from_experience, price_from_model
from .pricing_result import PricingResult
from .product import BenefitLine, LineTerms, Product, example_product_path
from .review import DIMENSIONS, ReviewResult, review
from .tuning import tune

__all__ = ["DIMENSIONS", "BenefitLine", "CostModelFitter", "LineTerms", "MemberPayouts",
           "PricingResult", "Product", "ReviewResult", "age_band_of", "allocate_ibnr",
           "basis_from_planted", "check_basis", "example_product_path", "experience_cells",
           "member_cells", "member_payouts", "price_from_experience", "price_from_model",
           "read_basis", "review", "tune"]
