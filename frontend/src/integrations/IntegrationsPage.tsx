// The integrations pages under /integrations (administrators): the ticketing systems that send events in
// (sources) and what they sent, and the addresses Openbook's own events go out to (subscriptions) and what
// was sent there. Filters and the opened delivery live in the address, so a view can be shared.
import { Link, Navigate, NavLink, Route, Routes } from "react-router-dom";
import { InboundDeliveries } from "./InboundDeliveries";
import "./integrations.css";
import { OutboundDeliveries } from "./OutboundDeliveries";
import { Sources } from "./Sources";
import { Subscriptions } from "./Subscriptions";

const TABS = [
  { to: "sources", label: "Sources" },
  { to: "inbound", label: "Events received" },
  { to: "subscriptions", label: "Subscriptions" },
  { to: "outbound", label: "Events sent" },
];

export function IntegrationsPage() {
  return (
    <div className="page integrations">
      <div className="page-head">
        <h1>Integrations</h1>
        <p className="hint integrations-intro">
          Ticketing systems send their events in through <strong>sources</strong>; Openbook's own events go out to{" "}
          <strong>subscriptions</strong>.
        </p>
      </div>
      <nav className="integrations-nav" aria-label="Integrations">
        <ul>
          {TABS.map((tab) => (
            <li key={tab.to}>
              <NavLink to={`/integrations/${tab.to}`}>{tab.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Routes>
        <Route index element={<Navigate to="/integrations/sources" replace />} />
        <Route path="sources" element={<Sources />} />
        <Route path="inbound" element={<InboundDeliveries />} />
        <Route path="subscriptions" element={<Subscriptions />} />
        <Route path="outbound" element={<OutboundDeliveries />} />
        <Route
          path="*"
          element={
            <p>
              Nothing lives at this address. <Link to="/integrations/sources">Back to the sources</Link>
            </p>
          }
        />
      </Routes>
    </div>
  );
}
