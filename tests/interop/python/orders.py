"""The Python side of the FastStream interop test (tests/interop/tests/interop.rs).

A FastStream 0.7 application speaking `specs/orders.yaml` on Redis or NATS,
with FastStream's defaults, in one of two roles:

  client  STORE  places an order by request/reply and cancels it with a plain
                 publish, to the Rust service; prints the reply as JSON.
  service STORE  answers orders for STORE on `stores.{store_id}.orders` until
                 killed; prints "ready" once subscribed.

Usage: python orders.py (redis|nats) URL (client|service) STORE
"""

import asyncio
import json
import sys
import uuid

from faststream import FastStream, Path

KIND, URL, ROLE, STORE = sys.argv[1:5]
ADDRESS = f"stores.{STORE}.orders"


def make_broker():
    if KIND == "redis":
        from faststream.redis import RedisBroker

        return RedisBroker(URL)
    if KIND == "nats":
        from faststream.nats import NatsBroker

        return NatsBroker(URL)
    raise SystemExit(f"unknown broker {KIND}")


def destination():
    return {"channel": ADDRESS} if KIND == "redis" else {"subject": ADDRESS}


async def client():
    broker = make_broker()
    async with broker:
        await broker.start()
        order_id = str(uuid.uuid4())
        place = {
            "kind": "place",
            "orderId": order_id,
            "lines": [{"sku": "apple", "quantity": 3}, {"sku": "pear", "quantity": 1}],
        }
        response = await broker.request(
            place, headers={"tenant": "python"}, timeout=10, **destination()
        )
        reply = await response.decode()
        # A message the Rust service must refuse (quantity below its minimum).
        await broker.publish(
            {"kind": "place", "orderId": str(uuid.uuid4()), "lines": [{"sku": "x", "quantity": 0}]},
            **destination(),
        )
        await broker.publish({"kind": "cancel", "orderId": order_id}, **destination())
        print(json.dumps({"order_id": order_id, "reply": reply}), flush=True)


async def service():
    broker = make_broker()
    app = FastStream(broker)

    async def handle_order(body: dict, store_id: str = Path()):
        if store_id != STORE:
            return {"orderId": body.get("orderId"), "total": -1}
        if body.get("kind") == "place":
            total = sum(line["quantity"] * 1.25 for line in body["lines"])
            return {"orderId": body["orderId"], "total": total}
        return {"orderId": body["orderId"], "total": 0}

    broker.subscriber("stores.{store_id}.orders")(handle_order)

    @app.after_startup
    async def ready():
        if KIND == "nats":
            # Core NATS drops what arrives before the server has the
            # subscription: make sure it has it before saying ready.
            await broker.connection.flush()
        print("ready", flush=True)

    await app.run()


asyncio.run(client() if ROLE == "client" else service())
