//! One module per route.

mod dashboard;
mod home;
mod login;
mod not_found;
mod send;

pub use dashboard::DashboardPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use send::SendPage;
