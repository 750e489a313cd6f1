"""A FastStream 0.7 service on RabbitMQ written with FastStream's defaults,
the way its users write it: `@broker.subscriber("fleet-orders")`,
`@broker.publisher("fleet-orders-done")`, `broker.publish(msg, "queue")`,
`broker.request(...)`. Nothing here is adapted to the Rust side.

tests/golden/tests/fleet.rs exports it (`faststream docs gen fleet:app`;
the pinned export is `fleet-asyncapi.json`), generates Rust from the
export, and runs the Rust side against it:

  python fleet.py service          runs the service; prints "ready"
  python fleet.py client ID1 ID2   publishes orders to a Rust service (ID1
                                   valid, then one that breaks the schema,
                                   then ID2 valid) and exits

The broker's URL comes from FLEET_AMQP_URL (default: the local RabbitMQ).
"""

import asyncio
import os
import sys
from typing import Optional
from uuid import UUID

from pydantic import BaseModel, Field

from faststream import FastStream
from faststream.rabbit import RabbitBroker


class Order(BaseModel):
    order_id: UUID
    quantity: int = Field(ge=1)
    note: Optional[str] = None


class Accepted(BaseModel):
    order_id: UUID
    total: float


broker = RabbitBroker(os.environ.get("FLEET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
app = FastStream(broker)


@app.after_startup
async def ready():
    print("ready", flush=True)


@broker.subscriber("fleet-orders")
@broker.publisher("fleet-orders-done")
async def take_order(order: Order) -> Accepted:
    return Accepted(order_id=order.order_id, total=order.quantity * 2.5)


async def client(ids):
    # A publisher of its own (the module's broker would also consume).
    publisher = RabbitBroker(os.environ.get("FLEET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    async with publisher:
        await publisher.start()
        await publisher.publish(Order(order_id=UUID(ids[0]), quantity=2), "fleet-orders")
        await publisher.publish({"order_id": ids[0], "quantity": 0}, "fleet-orders")
        await publisher.publish({"order_id": ids[1], "quantity": 3, "note": None}, "fleet-orders")


if __name__ == "__main__":
    if sys.argv[1:2] == ["service"]:
        asyncio.run(app.run())
    elif sys.argv[1:2] == ["client"]:
        asyncio.run(client(sys.argv[2:4]))
