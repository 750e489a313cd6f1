// Passing a type that does not implement the generated trait.
struct Shop;

fn main() {
    let _router = golden::orders::router(Shop);
}
