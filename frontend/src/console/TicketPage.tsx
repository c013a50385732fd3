export function TicketPage() {
  return <div className="page"><h1>Ticket</h1></div>;
}
