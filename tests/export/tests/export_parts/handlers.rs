// The handlers `export.rs` builds routers with (included there).

impl golden::avro::Handler for Nobody {
    async fn on_user_signed_up(&self, _message: golden::avro::models::UserSignedUp, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::billing::Handler for Nobody {
    async fn take_payments(&self, _message: golden::billing::messages::TakePaymentsMessage, _headers: golden::billing::messages::TakePaymentsHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::bindings::Handler for Nobody {
    async fn on_invoice(&self, _message: golden::bindings::models::InvoiceIssued, _params: golden::bindings::channels::Invoices, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_payment(&self, _message: golden::bindings::models::PaymentReceived, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::content_types::Handler for Nobody {
    async fn on_greeting(&self, _message: golden::content_types::models::Greeting, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_ping(&self, _message: (), _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_nothing(&self, _message: (), _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_check(&self, _message: String, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_probe(&self, _message: String, _ctx: faststream::Context) -> Result<golden::content_types::models::Nothing, HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_tally(&self, _message: i64, _ctx: faststream::Context) -> Result<Vec<()>, HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_strict(&self, _message: String, _headers: golden::content_types::models::StrictHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::durable::Handler for Nobody {
    async fn on_number(&self, _message: golden::durable::models::Number, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::cursed::Handler for Nobody {
    async fn r#ref(&self, _message: golden::cursed::messages::RefMessage, _params: golden::cursed::channels::Type, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::orders::Handler for Nobody {
    async fn handle_order(&self, _message: golden::orders::messages::HandleOrderMessage, _params: golden::orders::channels::OrderRequests, _headers: golden::orders::messages::HandleOrderHeaders, _ctx: faststream::Context) -> Result<golden::orders::models::OrderAccepted, HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::shapes::Handler for Nobody {
    async fn on_shipment(&self, _message: golden::shapes::models::Event, _params: golden::shapes::channels::Shipments, _headers: golden::shapes::models::ShipmentEventHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::fleet_nats::Handler for Nobody {
    async fn fleet_orders_take_order_subscribe(&self, _message: golden::fleet_nats::models::Order, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::fleet_rabbit::Handler for Nobody {
    async fn fleet_orders_take_order_subscribe(&self, _message: golden::fleet_rabbit::models::Order, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::fleet_redis::Handler for Nobody {
    async fn fleet_orders_take_order_subscribe(&self, _message: golden::fleet_redis::models::Order, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::payments_export::Handler for Nobody {
    async fn billing_logs_level_on_log_subscribe(&self, _message: golden::payments_export::models::LogLine, _params: golden::payments_export::channels::BillingLogsLevelOnLog, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn billing_payments_on_payment_subscribe(&self, _message: golden::payments_export::models::Payment, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::traits::Handler for Nobody {
    async fn on_reading(&self, _message: golden::traits::models::Reading, _params: golden::traits::channels::Readings, _headers: golden::traits::models::ReadingHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_note(&self, _message: golden::traits::models::Note, _headers: golden::traits::models::NoteHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::traits_v2::Handler for Nobody {
    async fn on_reading(&self, _message: golden::traits_v2::models::Reading, _params: golden::traits_v2::channels::GoldenTraitsSiteReadings, _headers: golden::traits_v2::models::ReadingHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
    async fn on_note(&self, _message: golden::traits_v2::models::Note, _headers: golden::traits_v2::models::NoteHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::streetlights_kafka::Handler for Nobody {
    async fn receive_light_measurement(&self, _message: golden::streetlights_kafka::models::LightMeasuredPayload, _params: golden::streetlights_kafka::channels::LightingMeasured, _headers: golden::streetlights_kafka::models::LightMeasuredHeaders, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}

impl golden::fleet_rabbit_vhost::Handler for Nobody {
    async fn fleet_orders_take_order_subscribe(&self, _message: golden::fleet_rabbit_vhost::models::Order, _ctx: faststream::Context) -> Result<(), HandlerError> {
        Err(HandlerError::new("export only"))
    }
}
