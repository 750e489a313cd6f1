use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, faststream::Message)]
struct Host {
    #[message(format = "ipv4")]
    address: String,
}

fn main() {}
