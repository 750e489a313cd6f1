//! Runs {{ name }} on {{ broker_label }}.

use faststream::App;
use {{ crate_ident }}::{handler, {{ module }}};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
{% if broker == "memory" %}
    // The in-memory broker: messages typed on standard input, one per line
    // as `ADDRESS JSON`, are published to the service; it stops at the end
    // of the input, once they are handled.
    let app = App::new(faststream::MemoryBroker::new())
        .include({{ module }}::router(handler::Service));
    let running = app.start().await?;
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(tokio::io::stdin()));
    let mut sent: u64 = 0;
    while let Some(line) = lines.next_line().await? {
        let Some((address, payload)) = line.trim().split_once(' ') else {
            continue;
        };
        running
            .publisher()
            .publish(faststream::Envelope::new(address, payload.trim().to_owned()))
            .await?;
        sent += 1;
    }
    for _ in 0..100 {
        if running.metrics().finished >= sent {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    running.shutdown().await;
{% else %}
{% if let Some(server) = server %}
    // The spec's server `{{ server.name }}`; FASTSTREAM_SERVER_{{ server.env }}_URL
    // overrides its address, {{ env_prefix }}_USER/_PASSWORD and the like give
    // credentials.
    let broker = faststream::connect(&{{ module }}::servers::{{ server.constant }}).await?;
{% else %}
    // The spec names no {{ broker_label }} server: {{ url_var }} gives the
    // address ({{ env_prefix }}_USER/_PASSWORD and the like the credentials).
    let url = std::env::var("{{ url_var }}").unwrap_or_else(|_| "{{ default_url }}".to_owned());
    let broker = {{ connect_expr }};
{% endif %}
    // Runs until SIGTERM or Ctrl-C. With FASTSTREAM_HTTP_ADDR (say
    // 0.0.0.0:8080) set, it also serves /metrics (FastStream's metric
    // names), /health/live, /health/ready and /asyncapi there.
    App::with_broker(broker)
        .include({{ module }}::router(handler::Service))
        .middleware(
            faststream::prometheus::PrometheusMiddleware::builder()
                .app_name("{{ name }}")
                .build(),
        )
        .run()
        .await?;
{% endif %}
    Ok(())
}
