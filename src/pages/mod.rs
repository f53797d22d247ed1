//! One module per route.

mod account;
mod audit;
mod dashboard;
mod home;
mod login;
mod not_found;
mod password;
mod psc_invitations;
mod register;
mod second_factor;
mod send;
mod staff;

pub use account::AccountPage;
pub use audit::AuditPage;
pub use dashboard::DashboardPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use password::ChangePasswordPage;
pub use psc_invitations::PscInvitationsPage;
pub use register::RegisterPage;
pub use second_factor::SecondFactorPage;
pub use send::SendPage;
pub use staff::StaffPage;
