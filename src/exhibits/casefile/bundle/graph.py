"""The bundle's CASE/UCO JSON-LD graph (caseontology.org, CASE 1.x).

One ``uco-observable:File`` per payload file (file name = its path in the bag, SHA-256 =
the manifest's); originals that a recipient does not receive (the defence gets a redacted
copy) appear as Files without a name, so each derivative can still point at its parent
through a ``Derived_From`` relationship. One ``InvestigativeAction`` per included custody
event, performed by the person the log names, on and resulting in the Files it names.
Identifiers are UUIDv5 values derived from stable keys, so a bundle's graph is
reproducible.
"""

from __future__ import annotations

import uuid
from typing import Any

NAMESPACE = uuid.UUID("0b6d3f4e-8c1a-5d2e-9f70-6a1e2b3c4d5e")
CONTEXT = {
    "kb": "http://example.org/kb/",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-marking": "https://ontology.unifiedcyberontology.org/uco/marking/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def node_id(kind: str, key: str) -> str:
    return f"kb:{kind}-{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"


def _time(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


def _file(path: str | None, sha256: str, size: int | None, mime: str | None) -> dict[str, Any]:
    key = f"path:{path}" if path else f"sha256:{sha256}"
    facets: list[dict[str, Any]] = []
    if path:
        file_facet: dict[str, Any] = {
            "@id": node_id("FileFacet", key),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": path,
        }
        if size is not None:
            file_facet["uco-observable:sizeInBytes"] = {"@type": "xsd:integer", "@value": str(size)}
        facets.append(file_facet)
    content: dict[str, Any] = {
        "@id": node_id("ContentDataFacet", key),
        "@type": "uco-observable:ContentDataFacet",
        "uco-observable:hash": [
            {
                "@id": node_id("Hash", key),
                "@type": "uco-types:Hash",
                "uco-types:hashMethod": "SHA256",
                "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": sha256},
            }
        ],
    }
    if mime:
        content["uco-observable:mimeType"] = mime
    facets.append(content)
    return {"@id": node_id("File", key), "@type": "uco-observable:File", "uco-core:hasFacet": facets}


def build_graph(
    case: dict[str, Any], files: list[dict[str, Any]], events: list[dict[str, Any]]
) -> dict[str, Any]:
    """``files``: path, sha256, size, mime_type, role, exhibit_ref, parent_sha256, tool, tool_version.
    ``events``: seq, leaf (dict), leaf_hash (hex)."""
    graph: list[dict[str, Any]] = []
    members: list[dict[str, str]] = []
    by_sha: dict[str, list[str]] = {}
    for item in files:
        node = _file(item["path"], item["sha256"], item.get("size"), item.get("mime_type"))
        graph.append(node)
        members.append({"@id": node["@id"]})
        by_sha.setdefault(item["sha256"], []).append(node["@id"])
    # parents not carried (e.g. the original behind a redacted copy) are described by hash only
    for item in files:
        parent = item.get("parent_sha256")
        if parent and parent not in by_sha:
            node = _file(None, parent, None, None)
            graph.append(node)
            members.append({"@id": node["@id"]})
            by_sha[parent] = [node["@id"]]
    tools: dict[tuple[str, str], str] = {}

    def tool(name: str, version: str) -> str:
        key = (name, version)
        if key not in tools:
            tools[key] = node_id("Tool", f"{name}/{version}")
            graph.append(
                {
                    "@id": tools[key],
                    "@type": "uco-tool:Tool",
                    "uco-core:name": name,
                    "uco-tool:version": version,
                }
            )
        return tools[key]

    for item in files:
        parent = item.get("parent_sha256")
        if not parent:
            continue
        relation = {
            "@id": node_id("Relationship", f"{item['path']}<-{parent}"),
            "@type": "uco-core:Relationship",
            "uco-core:source": [{"@id": by_sha[item["sha256"]][0]}],
            "uco-core:target": {"@id": by_sha[parent][0]},
            "uco-core:kindOfRelationship": "Derived_From",
            "uco-core:isDirectional": True,
            "uco-core:description": f"{item.get('kind') or 'derivative'} made by "
            f"{item.get('tool') or 'unknown tool'} {item.get('tool_version') or ''}".strip(),
        }
        graph.append(relation)
        members.append({"@id": relation["@id"]})
        if item.get("tool"):
            tool(item["tool"], item.get("tool_version") or "")
    people: dict[str, str] = {}
    for event in events:
        leaf = event["leaf"]
        action: dict[str, Any] = {
            "@id": node_id("InvestigativeAction", f"{case['log']}:{event['seq']}"),
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": leaf["action"],
            "uco-core:description": f"custody event {event['seq']} (leaf hash {event['leaf_hash']}); "
            f"class {leaf['class']}",
            "uco-action:startTime": _time(leaf["at"]),
            "uco-action:endTime": _time(leaf["at"]),
            "uco-action:instrument": {
                "@id": tool(leaf.get("tool") or "exhibits", leaf.get("tool_version") or "")
            },
        }
        actor = leaf.get("actor")
        if actor:
            if actor["id"] not in people:
                people[actor["id"]] = node_id("Person", actor["id"])
                graph.append(
                    {
                        "@id": people[actor["id"]],
                        "@type": "uco-identity:Person",
                        "uco-core:name": f"{actor['name']} ({actor['force']} {actor['collar']})",
                    }
                )
            action["uco-action:performer"] = {"@id": people[actor["id"]]}
        inputs = sorted({*(leaf.get("inputs") or []), *([leaf["sha256"]] if leaf.get("sha256") else [])})
        objects = [{"@id": i} for sha in inputs for i in by_sha.get(sha, [])]
        results = [{"@id": i} for sha in sorted(set(leaf.get("outputs") or [])) for i in by_sha.get(sha, [])]
        if objects:
            action["uco-action:object"] = objects
        if results:
            action["uco-action:result"] = results
        graph.append(action)
        members.append({"@id": action["@id"]})
    exhibits: dict[str, list[str]] = {}
    for item in files:
        if item.get("exhibit_ref"):
            exhibits.setdefault(item["exhibit_ref"], []).extend(by_sha[item["sha256"]][:1])
    for ref, ids in sorted(exhibits.items()):
        record = {
            "@id": node_id("ProvenanceRecord", f"{case['id']}:{ref}"),
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": ref,
            "uco-core:object": [{"@id": i} for i in dict.fromkeys(ids)],
        }
        graph.append(record)
        members.append({"@id": record["@id"]})
    marking = {
        "@id": node_id("MarkingDefinition", case["classification"]),
        "@type": "uco-marking:MarkingDefinition",
        "uco-marking:definitionType": "statement",
        "uco-marking:definition": {
            "@id": node_id("StatementMarking", case["classification"]),
            "@type": "uco-marking:StatementMarking",
            "uco-marking:definitionType": "statement",
            "uco-marking:statement": case["classification"],
        },
    }
    graph.append(marking)
    investigation = {
        "@id": node_id("Investigation", case["id"]),
        "@type": "case-investigation:Investigation",
        "uco-core:name": case.get("urn") or case["crime_ref"],
        "uco-core:description": f"{case['title']} (crime reference {case['crime_ref']}, {case['force']})",
        "uco-core:objectMarking": [{"@id": marking["@id"]}],
        "uco-core:object": members,
    }
    return {"@context": CONTEXT, "@graph": [investigation, *graph]}
