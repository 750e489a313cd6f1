"""A FastStream 0.7 service written with FastStream's defaults, the way its
users write it: `@broker.subscriber("fleet-orders")`,
`@broker.publisher("fleet-orders-done")`, a handler that returns its
answer, `broker.publish(msg, "fleet-orders")`, `broker.request(...)`.
Nothing here is adapted to the Rust side. FLEET_BROKER picks the broker
(rabbit, the default, nats, redis, kafka or mqtt) and FLEET_URL its
address (default: the local one); the service is the same on each.

tests/interop/tests/fleet.rs exports it per broker (`faststream docs gen
fleet:app`, pinned as `fleet-<broker>-asyncapi.json`), generates Rust
from the export, and runs the Rust side against it:

  python fleet.py service          runs the service; prints "ready"
  python fleet.py client ID1 ID2   talks to a Rust service in FastStream's
                                   way: publishes an order (ID1), one that
                                   breaks the schema, another (ID2), then
                                   asks for a third by `broker.request`
                                   and prints the answer as JSON
                                   (not on Kafka: FastStream's `request`
                                   refuses a real Kafka broker)
"""

import asyncio
import json
import os
import sys
import uuid
from typing import Optional
from uuid import UUID

from pydantic import BaseModel, Field

from faststream import FastStream

KIND = os.environ.get("FLEET_BROKER", "rabbit")
DEFAULT_URLS = {
    "rabbit": "amqp://guest:guest@127.0.0.1:5672/",
    "nats": "nats://127.0.0.1:4222",
    "redis": "redis://127.0.0.1:6379",
    "kafka": "127.0.0.1:9092",
    "mqtt": "mqtt://127.0.0.1:1883",
}
URL = os.environ.get("FLEET_URL", DEFAULT_URLS[KIND])


def make_broker():
    if KIND == "rabbit":
        from faststream.rabbit import RabbitBroker

        return RabbitBroker(URL)
    if KIND == "nats":
        from faststream.nats import NatsBroker

        return NatsBroker(URL)
    if KIND == "kafka":
        from faststream.kafka import KafkaBroker

        return KafkaBroker(URL)
    if KIND == "mqtt":
        from faststream.mqtt import MQTTBroker

        return MQTTBroker(URL)
    from faststream.redis import RedisBroker

    return RedisBroker(URL)


class Order(BaseModel):
    order_id: UUID
    quantity: int = Field(ge=1)
    note: Optional[str] = None


class Accepted(BaseModel):
    order_id: UUID
    total: float


broker = make_broker()
app = FastStream(broker)


@app.after_startup
async def ready():
    # For the test that runs it: say when the subscriptions are in place
    # (core NATS drops what arrives before the server has the
    # subscription, and nats-py sends it with its next flush).
    if KIND == "nats":
        await broker.connection.flush()
    print("ready", flush=True)


@broker.subscriber("fleet-orders")
@broker.publisher("fleet-orders-done")
async def take_order(order: Order) -> Accepted:
    return Accepted(order_id=order.order_id, total=order.quantity * 2.5)


async def client(ids):
    # A publisher of its own (the module's broker would also consume).
    publisher = make_broker()
    async with publisher:
        await publisher.start()
        await publisher.publish(Order(order_id=UUID(ids[0]), quantity=2), "fleet-orders")
        await publisher.publish({"order_id": ids[0], "quantity": 0}, "fleet-orders")
        await publisher.publish({"order_id": ids[1], "quantity": 3, "note": None}, "fleet-orders")
        if KIND == "kafka":
            return
        asked = Order(order_id=uuid.uuid4(), quantity=4, note="by request")
        response = await publisher.request(asked, "fleet-orders", timeout=10)
        answer = Accepted.model_validate(await response.decode())
        print(json.dumps({"asked": str(asked.order_id), "answer": answer.model_dump(mode="json")}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["service"]:
        asyncio.run(app.run())
    elif sys.argv[1:2] == ["client"]:
        asyncio.run(client(sys.argv[2:4]))
