"""A FastStream 0.7 service written the way FastStream's users write it:
pydantic models (`Optional[int]`, `list[str] = []`, `Literal[...]`,
constrained fields), a templated subject with `Path()`, NATS defaults.

tests/interop/tests/faststream_export.rs exports its AsyncAPI document with
`faststream docs gen payments:app` (the checked-in export is
`payments-asyncapi.json`), generates Rust from the export, and decodes what
this module publishes:

  python payments.py publish ID1 ID2 ID3

publishes a payment as pydantic writes it (every field, None as null), one
with only the required field, one with a wrong `kind` (to be refused), and
a log line on `billing.logs.error`, then exits.
"""

import asyncio
import os
import sys
from datetime import datetime
from typing import Literal, Optional
from uuid import UUID

from pydantic import BaseModel, Field

from faststream import FastStream, Path
from faststream.nats import NatsBroker


class Payment(BaseModel):
    kind: Literal["payment"] = "payment"
    payment_id: UUID
    amount_cents: Optional[int] = Field(None, ge=0)
    currency: str = Field("EUR", min_length=3, max_length=3)
    tags: list[str] = []
    attempt: int = Field(1, ge=1)
    at: Optional[datetime] = None


class Receipt(BaseModel):
    payment_id: UUID
    accepted: bool
    reason: Optional[str] = None


class LogLine(BaseModel):
    message: str
    severity: Literal["debug", "info", "error"] = "info"


broker = NatsBroker(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
app = FastStream(broker)


@broker.subscriber("billing.payments")
@broker.publisher("billing.receipts")
async def on_payment(payment: Payment) -> Receipt:
    return Receipt(payment_id=payment.payment_id, accepted=payment.amount_cents != 0)


@broker.subscriber("billing.logs.{level}")
async def on_log(line: LogLine, level: str = Path()) -> None:
    print(level, line.message, flush=True)


async def publish(ids):
    # A publisher of its own (the module's broker would also consume).
    publisher = NatsBroker(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    async with publisher:
        await publisher.start()
        await publisher.publish(
            Payment(payment_id=UUID(ids[0]), amount_cents=5, tags=["web"]),
            "billing.payments",
        )
        await publisher.publish({"payment_id": ids[1]}, "billing.payments")
        await publisher.publish({"payment_id": ids[2], "kind": "refund"}, "billing.payments")
        await publisher.publish(
            LogLine(message=f"declined {ids[0]}", severity="error"), "billing.logs.error"
        )
        await publisher.connection.flush()


if __name__ == "__main__" and sys.argv[1:2] == ["publish"]:
    asyncio.run(publish(sys.argv[2:5]))
