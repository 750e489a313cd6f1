// Forgetting a method of the generated trait.
struct Shop;

impl golden::orders::Handler for Shop {}

fn main() {}
