"""Product definitions (产品定义): benefit lines, prices, expenses, targets.

>>> from puhui.products import Product, example_product_path
>>> Product.from_toml(example_product_path()).code
'HMB-XC'
"""

from __future__ import annotations

from pathlib import Path

from .definition import BenefitLine, Expenses, LineTerms, Product


def example_product_path() -> Path:
    """Path of the bundled 惠民保 product file (``huiminbao_example.toml``)."""
    return Path(__file__).with_name("huiminbao_example.toml")


__all__ = ["BenefitLine", "Expenses", "LineTerms", "Product", "example_product_path"]
