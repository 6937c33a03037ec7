#!/usr/bin/env python3
"""Fills the ghz configs' placeholders from a data set that `gcc-load seed` wrote.

    gcc-load seed --endpoints ... --fixture-out data.json
    python3 deploy/loadtest/render.py data.json --validation-host gcc.example:50053 \
        --ordering-host gcc.example:50054 --out /tmp/ghz
    ghz --config /tmp/ghz/order-gcc.json

Placeholders: VALIDATION_HOST, ORDERING_HOST, PARTNER_TOKEN, VALIDATED_CUSTOMER,
PENDING_CUSTOMER, ORDER_NAME (the first partner's, which seeding made).
"""

import argparse
import json
import pathlib
import sys


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=pathlib.Path, help="the JSON `gcc-load seed` printed")
    p.add_argument("--validation-host", required=True)
    p.add_argument("--ordering-host", required=True)
    p.add_argument("--partner", type=int, default=0, help="which seeded partner acts (index)")
    p.add_argument("--out", type=pathlib.Path, required=True)
    args = p.parse_args()
    data = json.loads(args.data.read_text())
    partner = data["partners"][args.partner]
    values = {
        "VALIDATION_HOST": args.validation_host,
        "ORDERING_HOST": args.ordering_host,
        "PARTNER_TOKEN": partner["token"],
        "VALIDATED_CUSTOMER": partner["validated"][0],
        "PENDING_CUSTOMER": partner["pending"][0][0],
        "ORDER_NAME": (partner["orders"] or ["orders/none-seeded"])[0],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for config in sorted((pathlib.Path(__file__).parent / "ghz").glob("*.json")):
        text = config.read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        (args.out / config.name).write_text(text)
        print(args.out / config.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
