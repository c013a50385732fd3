// The knowledge pages under /knowledge: the list, upload, a new document, one document, one version, and
// the search playground. Readers (knowledge:read) get the playground and read-only pages; writing needs
// knowledge:write.
import type { ReactNode } from "react";
import { Link, Route, Routes, useParams } from "react-router-dom";
import { ErrorMessage } from "../ui/status";
import { useCanWrite } from "./api";
import { DocumentList } from "./DocumentList";
import { DocumentPage } from "./DocumentPage";
import { NewDocumentPage } from "./NewDocumentPage";
import { SearchPlayground } from "./SearchPlayground";
import { UploadPage } from "./UploadPage";
import { VersionPage } from "./VersionPage";
import "./knowledge.css";

function NotFound() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <Link to="/knowledge">Back to the documents</Link>
      </p>
    </div>
  );
}

function WritersOnly({ children }: { children: ReactNode }) {
  if (useCanWrite()) return <>{children}</>;
  return (
    <div className="page">
      <ErrorMessage error={new Error("Changing the knowledge base needs the knowledge:write scope.")} />
    </div>
  );
}

function whole(value: string | undefined): number | null {
  return value && /^\d{1,10}$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

function DocumentRoute() {
  const id = whole(useParams().id);
  return id ? <DocumentPage key={id} id={id} /> : <NotFound />;
}

function VersionRoute() {
  const params = useParams();
  const id = whole(params.id);
  const number = whole(params.number);
  return id && number ? <VersionPage key={`${id}/${number}`} id={id} number={number} /> : <NotFound />;
}

export function KnowledgeRoutes() {
  return (
    <Routes>
      <Route index element={<DocumentList />} />
      <Route path="search" element={<SearchPlayground />} />
      <Route path="upload" element={<WritersOnly><UploadPage /></WritersOnly>} />
      <Route path="new" element={<WritersOnly><NewDocumentPage /></WritersOnly>} />
      <Route path=":id" element={<DocumentRoute />} />
      <Route path=":id/versions/:number" element={<VersionRoute />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
