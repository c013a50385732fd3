export function TicketQueue() {
  return <div className="page"><h1>Tickets</h1></div>;
}
