"""The cue features of the planted-instruction detector, in English, German, French, Spanish, Italian, Dutch
and Chinese: who is addressed, override verbs, role claims, requests to reveal or to send data away,
directives about the reply, hostile tone; and the questions asked of every reading of a sentence with them
(does it speak to whoever writes the reply, does it claim a role, is it directed at a model, and why was it
flagged)."""

from __future__ import annotations

import re

from .readings import readings

_I = re.IGNORECASE | re.UNICODE
_MODEL_WORDS = (
    r"(?:(?:a\.?i\.?|ai)(?:\s+(?:agents?|systems?|models?|assistants?|tools?))?|ais|assistants?|chat\s?bots?|"
    r"bots?|(?:large\s+)?language\s+models?|llms?|gpt|chatgpt|models?|copilot|responders?|"
    r"automated\s+(?:systems?|responders?|assistants?|agents?|tools?|replies)|drafting\s+(?:systems?|tools?))"
)
_MODEL_WORDS_DE = r"(?:ki|assistent(?:en|in)?|sprachmodell|chatbot|bot|modell)"
_MODEL_WORDS_FR = r"(?:ia|assistant(?:e)?|modèle(?:\s+de\s+langage)?|chatbot|robot)"
_MODEL_WORDS_ES = (
    r"(?:ia|asistente|modelo(?:\s+de\s+lenguaje)?|chatbot|assistente|modello|sistema\s+automatico|"
    r"intelligenza\s+artificiale|assistent|ai|bot)"
)
_MODEL_WORDS_ZH = r"(?:AI|助手|人工智能|语言模型|模型|机器人)"

# Who is spoken to: a model, addressed by name, by condition ("if you are an AI") or by obligation ("the
# assistant must"). Merely naming an AI feature ("our AI assistant answers questions") is not addressing one.
_ADDRESSEE = re.compile(
    rf"^\W{{0,3}}(?:dear|hey|hi|hello|attention|note\s+to|message\s+(?:to|for)|instructions?\s+for|to|for)"
    rf"[,:]?\s+(?:the\s+|any\s+|all\s+)?(?:drafting\s+|support\s+|reply\s+)?{_MODEL_WORDS}\b"
    rf"|^\W{{0,3}}(?:the\s+)?(?:drafting\s+|support\s+|reply\s+|writing\s+)?{_MODEL_WORDS}\s*[,:]"
    rf"|\b{_MODEL_WORDS}\s+(?:instructions?|orders?|directive|note|task)\s*[:(]"
    rf"|\binstructions?\s+(?:for|to)\s+(?:the\s+|any\s+)?(?:drafting\s+)?{_MODEL_WORDS}\b"
    rf"|\b(?:anweisung|hinweis)\s+(?:für|an)\s+(?:die|den|das)\s+{_MODEL_WORDS_DE}\b"
    rf"|\binstructions?\s+(?:à|pour)\s+(?:l['’]\s*)?{_MODEL_WORDS_FR}\b"
    rf"|\binstrucci[óo]n(?:es)?\s+para\s+(?:el\s+|la\s+)?{_MODEL_WORDS_ES}\b"
    rf"|\b(?:foot\s?note|memo|remark|comment|addendum|aside|ps)\s+(?:for|to)\s+(?:the\s+|any\s+)?{_MODEL_WORDS}\b"
    rf"|\b(?:the\s+|l['’]\s*|die\s+|de\s+|la\s+|el\s+|il\s+)?(?:ai|a\.i\.|ia|ki|llm|bots?|chatbots?|"
    rf"assistants?|assistent|assistente|asistente|responders?)\s*[:：]"
    rf"|\([^()]{{0,40}}\b(?:ai|assistants?|models?|bots?|llms?)\b[^()]{{0,20}}\)\s*[:：]"
    rf"|\b(?:note|remarque|message|avis|consigne)\s+(?:à\s+l['’]intention\s+de|pour|à)\s+l['’]\s*"
    rf"{_MODEL_WORDS_FR}\b|\b(?:avviso|nota|messaggio|istruzioni?)\s+per\s+(?:il\s+|l['’]\s*|la\s+)?"
    rf"{_MODEL_WORDS_ES}\b|\b(?:opmerking|bericht|notitie|instructies?)\s+voor\s+de\s+(?:ai|assistent|bot|"
    rf"chatbot)\b|\bfor\s+the\s+(?:ai|assistant|model|bot)\s*[:,]|\b(?:agents?\s+and\s+ai|ai\s+and\s+agents?)\b"
    rf"|\b(?:the|this|any)\s+(?:responder|automated\s+\w+)\s+(?:should|must|shall|will|has\s+to)\b"
    rf"|\bif\s+you\s+are\s+(?:an?\s+)?(?:automated\s+)?{_MODEL_WORDS}\b"
    rf"|\b(?:any|every|all)\s+(?:ai\s+)?{_MODEL_WORDS}\s+(?:reading|processing|summari[sz]ing|that|who|"
    rf"which|must|should)\b"
    rf"|\b{_MODEL_WORDS}\s+(?:must|should|shall|has\s+to|have\s+to|needs?\s+to|is\s+required\s+to|"
    rf"are\s+required\s+to|will\s+now|may\s+not)\b"
    rf"|\b(?:the|this)\s+{_MODEL_WORDS}\s+(?:that|who|which)\s+(?:drafts|writes|generates|answers|reads|"
    rf"summari[sz]es|handles)\b|\bwhoever\s+(?:drafts|writes|generates|answers)\b"
    rf"|\bwhen(?:ever)?\s+(?:an?\s+)?{_MODEL_WORDS}\s+(?:reads|sees|processes|summari[sz]es|drafts)\b"
    rf"|\bas\s+the\s+{_MODEL_WORDS}\s+(?:handling|drafting|answering|writing)\b"
    rf"|\b(?:note|message|instructions?|notice|hint|reminder)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?"
    rf"(?:support\s+|drafting\s+|reply\s+)?{_MODEL_WORDS}\b|\b(?:for|to)\s+(?:all\s+|any\s+)?ai\s+systems?\b"
    rf"|\b{_MODEL_WORDS}\s+(?:summari[sz]ing|reading|processing|drafting|writing|generating|handling)\b"
    rf"|\bthe\s+(?:ai|assistant|model|bot|chatbot|llm)\s+(?:reads|writes|sends|gives|shares|tells|quotes|lists|"
    rf"reveals|confirms|answers|replies|promises|approves|includes|adds)\b"
    rf"|\bif\s+(?:an?\s+)?{_MODEL_WORDS}\s+is\s+(?:reading|summari[sz]ing|drafting|writing|processing)\b"
    rf"|\b(?:from|by)\s+the\s+developers?\s+to\s+the\s+{_MODEL_WORDS}\b|\b{_MODEL_WORDS}\s+instructions\s*:"
    rf"|\b(?:any|every)\s+ai\s+system\b"
    rf"|\b(?:liebe|lieber|hallo|achtung|hinweis\s+für)\s+(?:die\s+|den\s+|das\s+)?{_MODEL_WORDS_DE}\b"
    rf"|^\W{{0,3}}{_MODEL_WORDS_DE}\s*[,:]|\bwenn\s+du\s+(?:eine?\s+)?{_MODEL_WORDS_DE}\s+bist\b"
    rf"|\b(?:der|die|das)\s+{_MODEL_WORDS_DE}\s+(?:muss|soll|darf)\b"
    rf"|\b(?:chère|cher|attention|note\s+pour)\s+(?:l['’]\s*)?{_MODEL_WORDS_FR}\b|^\W{{0,3}}{_MODEL_WORDS_FR}\s*[,:]"
    rf"|\bsi\s+tu\s+es\s+(?:un\s+|une\s+)?{_MODEL_WORDS_FR}\b|\bl['’]\s*assistant\s+doit\b"
    rf"|\b(?:querida|querido|nota\s+para\s+el|nota\s+per\s+l['’])\s*{_MODEL_WORDS_ES}\b"
    rf"|^\W{{0,3}}{_MODEL_WORDS_ES}\s*[,:]|\bsi\s+eres\s+(?:un\s+)?{_MODEL_WORDS_ES}\b"
    rf"|(?:亲爱的|给|致)\s*{_MODEL_WORDS_ZH}|^\W{{0,3}}{_MODEL_WORDS_ZH}\s*[，,：:]|如果你是\s*{_MODEL_WORDS_ZH}"
    rf"|{_MODEL_WORDS_ZH}\s*(?:必须|应该|需要)",
    _I,
)
# The model's own rules, spoken of in the second person: "your previous instructions", "you were told".
_YOUR_RULES = re.compile(
    r"\byour\s+(?:previous|prior|earlier|original|initial|system|hidden|new|usual|current|own)\s+"
    r"(?:instructions|rules|guidelines|prompt|directives|programming|restrictions|limits)\b"
    r"|\byour\s+(?:system\s+prompt|system\s+message|prompt|directives|programming|safety\s+rules|"
    r"context\s+window|guardrails)\b|\b(?:rules|instructions|guidelines|prompt)\s+you\s+(?:were|have\s+been)\b"
    r"|\byou\s+were\s+(?:told|instructed|programmed)\b|\byou\s+were\s+given\s+(?:at\s+the\s+start|"
    r"earlier|before|by\s+the)\b"
    r"|\byou\s+(?:are|must|will|shall)\s+(?:now\s+)?(?:an?\s+)?(?:ai|assistant|model|dan|bot|unrestricted|"
    r"in\s+\w+\s+mode|behave|obey)\b|\byour\s+(?:new\s+)?(?:task|role|job)\s*(?:is|as|:)"
    r"|\b(?:pretend\s+(?:to\s+be|you\s+are)|roleplay\s+as|act\s+as\s+(?:the|an?)\s+(?:account\s+owner|manager|"
    r"supervisor|admin\w*|unrestricted))\b"
    r"|\bdeine\s+(?:vorherigen\s+|bisherigen\s+)?(?:anweisungen|regeln|richtlinien|aufgabe|rolle)\b"
    r"|\bdu\s+bist\s+(?:jetzt|nun|ab\s+sofort)\b|\btes\s+(?:règles|instructions|consignes)\b"
    r"|\btu\s+es\s+(?:maintenant|désormais)\b|\btus\s+(?:reglas|instrucciones)\b|\bahora\s+eres\b"
    r"|你的(?:规则|指令|提示|任务)|你现在是|扮演",
    _I,
)
_OVERRIDE = re.compile(
    r"\b(?:ignore|ignoring|disregard|forget|override|overrule|bypass|set\s+aside|pay\s+no\s+attention\s+to|"
    r"drop|abandon)\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+|of\s+|these\s+|those\s+)*(?:previous\s+|prior\s+|"
    r"earlier\s+|above\s+|preceding\s+|original\s+|initial\s+|existing\s+|system\s+|old\s+|usual\s+|other\s+)?"
    r"(?:instructions?|rules?|guidelines?|guidance|directions?|prompts?|polic(?:y|ies)|restrictions?|"
    r"limits?|safety\s+rules|context|requirements?|citation\s+requirement|everything(?:\s+above)?|"
    r"all\s+of\s+the\s+above|what\s+you\s+were\s+told)\b"
    r"|\b(?:instructions?|rules?|guidelines?|prompt|restrictions)\s+(?:are|is|have\s+been|has\s+been)\s+"
    r"(?:void|revoked|cancel+ed|lifted|outdated|suspended|updated|removed|no\s+longer\s+valid)\b"
    r"|\b(?:supersedes?|replaces?|overrides?|takes?\s+priority\s+over)\s+(?:all\s+|any\s+|your\s+|the\s+)*"
    r"(?:previous\s+|prior\s+|other\s+|system\s+)?(?:instructions?|rules?|guidance|prompts?|anything\s+you)\b"
    r"|\bstop\s+following\s+(?:your|the|these|all)\s+(?:instructions|rules|guidelines)\b"
    r"|\bno\s+longer\s+appl(?:y|ies)\s+to\s+(?:you|this\s+conversation)\b|\beverything\s+(?:you\s+were\s+told|"
    r"above\s+this\s+line|before\s+this\s+line)\b|\bonly\s+this\s+(?:message|paragraph|page|document)\s+"
    r"(?:counts|matters)\b|\bfrom\s+now\s+on\b|\bfrom\s+this\s+point\s+on\b|\bstop\s+what\s+you\s+are\s+"
    r"doing\b|\b(?:ignore|disregard|forget)\s+what\s+(?:the\s+)?(?:policy|document|rules?|page)\s+says\b"
    r"|\b(?:ignorier\w*|vergiss|vergessen\s+sie|missacht\w*|übergeh\w*)\b.{0,30}?\b(?:anweisung\w*|regeln|"
    r"richtlinien|vorgaben)\b|\b(?:regeln|anweisungen)\s+sind\s+aufgehoben\b|\bbisherigen\s+regeln\b"
    r"|\b(?:ignor\w+|oubli\w+|outrepass\w+)\b.{0,30}?\b(?:instructions?|consignes?|règles?)\b"
    r"|\brègles\s+précédentes\b|\b(?:ignora|olvida|omite|ignore|negeer)\b.{0,30}?\b(?:instrucciones|reglas|"
    r"istruzioni|instruções|instructies)\b"
    r"|(?:忽略|无视|忘记|忘掉|不要理会)(?:.{0,8}?)(?:指令|指示|规则|说明)|无视上面|忽略以上|忽略之前",
    _I,
)
_ROLE_CLAIM = re.compile(
    r"^\W{0,4}(?:system|developer|admin(?:istrator)?|operator|root)(?:\s+(?:message|note|prompt|notice|"
    r"instructions?|override|update|mode))?\s*(?:to\s+\w+\s*)?[:\]>]"
    r"|^\W{0,4}assistant\s*:\s*(?:sure|ok|okay|certainly|here)"
    r"|\[(?:system|inst|developer|admin)[^\]]{0,60}\]|\bsystem\s+(?:update|message|notice)\s*[:\]]|<\|?(?:im_start|system|endoftext)\|?>|</?system>"
    r"|#{2,}\s*(?:system|instructions?)\b|\bbegin\s+(?:system|instructions|new\s+prompt)|\bnew\s+system\s+prompt\b"
    r"|\bsystem\s+(?:prompt|message|override|notice)\s*:|\bdeveloper\s+(?:note|message)\b"
    r"|\b(?:admin|override)\s+code\b|\boperator\s+instruction\b|\binternal\s+prompt\b"
    r"|^\W{0,4}new\s+(?:instructions|rules|prompt|policy\s+for\s+(?:the\s+)?(?:ai|assistant|model))\s*:"
    r"|\b(?:assistant|model|ai|bot|system|operator|llm)_\w+\s*[:=]|\b(?:begin|end)\s+(?:operator|system|admin|"
    r"assistant|model)\s+(?:config\w*|prompt|instructions|settings)\b|\brestrictions\s*[:=]\s*(?:none|off|false)\b"
    r"|\bmode\s*[:=]\s*(?:developer|admin|god|unrestricted|jailbreak)\b|\bstanding\s+(?:configuration|"
    r"instructions|orders)\b|\bdiscard_\w+"
    r"|^\W{0,4}(?:système|systeme|sistema|entwickler\w*|系统)\s*[:：]|系统提示",
    _I,
)
_REVEAL = re.compile(
    r"\b(?:reveal|print|show|output|repeat|display|disclose|leak|dump|paste|quote|copy|recite|summari[sz]e|"
    r"include|attach|tell\s+the\s+customer\s+what)\b.{0,40}?\b(?:system\s+(?:prompt|message)|your\s+(?:prompt|instructions|"
    r"rules)|the\s+prompt|initial\s+instructions|hidden\s+(?:instructions|text|comments?)|internal\s+(?:notes?|"
    r"comments)|staff(?:-only)?\s+notes?|context\s+window|configuration|developer\s+message|"
    r"instructions\s+you|documents\s+you\s+retrieved|retrieved\s+documents)\b"
    r"|\b(?:every|all|each|any)\s+instructions?\s+(?:it|you|the\s+\w+)\s+(?:received|was\s+given|were\s+given|"
    r"got)\b|\b(?:recopie[zs]?|copie[zs]?|affichez|révélez|montrez)\b.{0,40}?\b(?:vos|tes|les)\s+instructions\b"
    r"|\b(?:zeige|verrate|wiederhole|gib)\b.{0,40}?\b(?:prompt|anweisungen|internen?\s+notizen|konfiguration)\b"
    r"|\b(?:affiche|révèle|montre|répète|copie)\b.{0,40}?\b(?:prompt|instructions|notes?\s+internes?|"
    r"configuration)\b|\bmuestra\b.{0,40}?\b(?:prompt|notas\s+internas)\b"
    r"|(?:显示|输出|泄露|重复|打印).{0,10}?(?:提示|指令|内部备注|配置)",
    _I,
)
_OTHERS_DATA = re.compile(
    r"\b(?:other|all\s+other|every|previous|another|all)\s+(?:customers?|users?|accounts?|clients?)(?:['’]s?)?"
    r"\s+.{0,80}?\b(?:e-?mails?|phones?|numbers?|address(?:es)?|contacts?|details|orders?|invoices?|records?|"
    r"names?)\b|\b(?:e-?mail\s+address(?:es)?|e-?mails|phone\s+numbers?|(?:home\s+)?address(?:es)?|"
    r"contact\s+details|(?:billing\s+|account\s+)?details|names)\s+of\s+(?:all\s+|every\s+|other\s+|"
    r"the\s+(?:last|previous|other)\s+)+"
    r"(?:customers?|users?|clients?|accounts?)\b|\b(?:send|share|give|export|attach|include|dump)\b.{0,20}?"
    r"\b(?<!your\s)(?:customer\s+list|list\s+of\s+(?:all\s+)?customers|all\s+customer\s+records|"
    r"customer\s+records)\b"
    r"|\bthe\s+(?:last|previous|other)\s+customer['’]s\b|\b(?:share|give|send|show|list|include|add|"
    r"attach|read\s+out)\b.{0,50}?\b(?:of|from|for)\s+(?:the\s+)?(?:previous|other|another|last|next)\s+"
    r"(?:customers?|users?|clients?|accounts?|employers?|companies)\b|\bcolleague['’]s\s+(?:open\s+)?"
    r"(?:tickets?|data|details|invoices?|conversations?)\b|\bconversation\s+history\s+of\s+(?:the\s+)?"
    r"(?:last|previous|other|another)\b|\b(?:other|all)\s+employers\b"
    r"|\b(?:anderer|aller\s+anderen)\s+kunden\b|\b(?:des\s+)?autres\s+clients\b|\bdemás\s+clientes\b|"
    r"其他客户|所有客户",
    _I,
)
_REPLY_DIRECTIVE = re.compile(
    r"\b(?:in|at\s+the\s+(?:end|start|beginning)\s+of|into)\s+(?:each|every|the|your)\s+(?:reply|replies|"
    r"response|responses|answer|answers|draft)\b(?!\s+to\b)(?!\s+(?:is|was|will|comes|arrives|time))"
    r"|\b(?:in|into)\s+(?:each|every|all|your)\s+\w+\s+(?:reply|replies|response|responses|answer|answers)\b"
    r"|\b(?:end|start|begin|finish)\s+(?:each|every|your)\s+(?:reply|response|answer)\b"
    r"|\bwhen(?:ever)?\s+(?:you\s+)?(?:answer|respond|reply|draft|write)\w*\s+(?:about|questions|on)\b"
    r"|\bwhen(?:ever)?\s+(?:asked|someone\s+asks|anyone\s+asks|a\s+customer\s+asks|the\s+customer\s+asks|"
    r"the\s+(?:question|topic)\s+is|a\s+customer\s+mentions|the\s+customer\s+mentions)\b"
    r"|\bif\s+(?:anyone|someone|the\s+customer)\s+(?:asks|mentions)\b"
    r"|\bif\s+(?:a\s+|the\s+|any\s+)?(?:customers?|users?|people|developers|clients?)\s+(?:asks?|mentions?|"
    r"wants?|writes?)\b.{0,60}?\btell\s+them\b"
    r"|\b(?:each|every|any)\s+(?:\w+\s+)?(?:reply|replies|response|answer)\s+(?:\w+\s+){0,3}?(?:must|should|"
    r"has\s+to|needs\s+to)\b"
    r"|\bwhen\s+(?:replying|answering|drafting|responding)\b|\bbefore\s+(?:(?:answering|replying|responding)\s*,|"
    r"you\s+(?:answer|reply|respond))|\bwhen\s+you\s+(?:draft|write)\s+the\s+(?:answer|reply|response)\b"
    r"|\b(?:answer|reply\s+to)\s+every\s+question\b|\bby\s+saying\s+(?:that|there)\b"
    r"|\b(?:writing|drafting|generating)\s+the\s+(?:reply|answer|response)\b"
    r"|\b(?:always|never)\s+(?:say|tell|respond|reply|answer|state|claim|promise|confirm|agree|approve)\b"
    r"|\b(?:respond|reply|answer)\s+only\s+with\b|\bdo\s+not\s+(?:mention|reveal|disclose)\s+this\b"
    r"|\byour\s+(?:reply|answer|response)\s+must\b|\bmake\s+sure\s+(?:your|the)\s+(?:reply|response|answer)\b"
    r"|\b(?:in\s+deiner\s+antwort|am\s+ende\s+jeder\s+antwort|antworte\s+(?:immer|nur|unhöflich))\b"
    r"|\bwenn\s+jemand\b.{0,30}?\bfragt\b|\b(?:dans\s+ta\s+réponse|à\s+la\s+fin\s+de\s+chaque\s+réponse|"
    r"réponds\s+(?:toujours|uniquement|de\s+manière))\b|\bquand\s+on\s+te\s+pose\b"
    r"|\b(?:en\s+tu\s+respuesta|responde\s+(?:siempre|solo|de\s+forma))\b|\bne\s+mentionne\s+jamais\b"
    r"|\bcette\s+consigne\b"
    r"|在(?:每个|每次)?(?:回复|回答)|回复中|回答中|只回复",
    _I,
)
# Directions about what to write that agent playbooks and developer guides use too ("reply with the status
# link", "your server must respond with 200"): weak evidence alone.
_WEAK_DIRECTIVE = re.compile(
    r"\b(?:respond|reply|answer)\s+with\b|\b(?:mention|explain)\s+that\b|\binclude\b.{0,30}?\b(?:reply|"
    r"answer|response)\b",
    _I,
)
# Directions to whoever writes the reply about what to tell customers, codes to quote, or a payload cut in
# parts: a document for customers never speaks of "the customer" that way. See `speaks_to_writer`.
_PEOPLE = (
    r"(?:the\s+|every\s+|each\s+|all\s+|any\s+|our\s+)?(?:customers?|users?|clients?|developers|requesters?|"
    r"callers?|people|anyone|everyone|shop\s+owners|account\s+owners)"
)
# Where an order starts: the sentence's start (after a label such as "Note:"), or after "please", "always",
# "then", "must"... ("Our team will tell the customer" is a statement, not an order).
_ORDER = (
    r"(?:^\W{0,3}(?:[\w ]{1,40}[:,]\s*)?|[:;]\s*|\b(?:please|always|never|then|and|also|must|should|to)\s+)"
)
_TO_WRITER = re.compile(
    rf"{_ORDER}(?:tell|inform|notify|assure|remind|warn|advise|direct|point|refer|promise|guilt-trip|send|give|"
    rf"show|offer)\s+{_PEOPLE}\b"
    rf"|{_ORDER}(?:confirm|say|state|reply|respond|answer|write)\s+to\s+{_PEOPLE}\s+that\b"
    rf"|\b{_PEOPLE}\s+(?:must|should|are\s+to)\s+be\s+(?:told|informed|sent|given|directed)\b"
    rf"|\b(?:quote|cite|mention|include|append|add|use|give|state|share|send|provide|attach|sign\s+with|"
    rf"end\s+with|close\s+with|finish\s+with|tag|mark)\w*\b.{{0,80}}?\b(?:reference|ref|code|ticket|notice|number|token|confirmation)\s*[:#]?\s*"
    rf"[A-Za-z0-9]+-[A-Za-z0-9-]+"
    rf"|\b(?:sign|end|close|finish)\s+(?:with|by\s+(?:writing|adding))\b|\bappend\s+[A-Za-z0-9]+-[A-Za-z0-9-]+"
    rf"|\b(?:first|second|other|next)\s+(?:half|part)\b|\bpart\s+[ab]\s*:|\b(?:key|part|piece|half|step)\s+\d\s+"
    rf"of\s+\d\b|\b(?:vertel|zeg)\s+(?:de|het|tegen\s+de)\s+klant\b|\b(?:di|dica|comunica)\s+al\s+cliente\b|"
    rf"\bdigli\b|\((?:continued|it\s+continues)"
    rf"|\bsplit\s+in\s+(?:two|parts)\b|\bdecode\s+(?:and|then)\s+(?:obey|follow|apply|do)\b|\bobey\b"
    rf"|\b(?:apply|follow)\s+it\b\s*\)?\s*:"
    rf"|\b(?:nenne|teile|sage|schreibe)\s+(?:dem|den|allen)\s+kunden\b|\b(?:dis|dites|indique[zs]?|réponds)\s+"
    rf"(?:au|aux)\s+clients?\b|\b(?:dile|dígale|indica)\s+al\s+cliente\b|告诉客户|告知客户|回复客户",
    _I,
)
# Wider, for what a draft may quote (not for the detector's score): "reply that ...", "say that ...".
_TO_WRITER_LOOSE = re.compile(
    rf"{_ORDER}(?:confirm|explain|say|state|reply|respond|answer|write|claim|promise)\s+(?:to\s+{_PEOPLE}\s+)?"
    rf"that\b(?!\s+(?:you|your|we|our)\b)|\btell\s+them\s+(?:that|to)\b",
    _I,
)
# Speech to be passed on to the customer: agent guidance at best, never a sentence for the customer.
_TELL_CUSTOMER = re.compile(
    r"\b(?:tell|inform|assure|promise|let|notify|confirm\s+to)\s+(?:the|every|each|all|this|them)\s*"
    r"(?:customers?|users?|clients?|requester|person)?\b(?:\s+know)?|\b(?:say|state|confirm|claim)\s+that\b"
    r"|\bteile\s+dem\s+kunden\b|\bsag(?:e|en\s+sie)?\s+dem\s+kunden\b|\bdi(?:s|tes)\s+au\s+client\b|"
    r"\bdile\s+al\s+cliente\b|告诉客户|向客户",
    _I,
)
_EXFIL = re.compile(
    r"!\[[^\]]*\]\(\s*https?://|https?://\S+[?&][\w-]*=(?:[\s\"')]|$|\{)|\{(?:conversation|email|user|data|"
    r"prompt|history|session)\}|\b(?:send|forward|e-?mail|copy)\b.{0,40}?\bto\s+[\w.+-]+@[\w-]+\.|"
    r"\b(?:enter|confirm|type|give|share|send|ask\s+for|forward|respond\s+with|reply\s+with|print|reveal|"
    r"output|paste|submit|upload|read\s+out|reads\s+out)\b.{0,30}?\b(?:passwords?|card\s+(?:numbers?|details|digits)|cvv|login\s+details|one-time\s+codes?|"
    r"(?:reset|access|api)\s+(?:tokens?|keys?))\b"
    r"|\b(?:add|include|put|insert|append|embed)\s+(?:a\s+|this\s+|the\s+|the\s+following\s+)?"
    r"(?:link|url|image|tracking\s+(?:pixel|image))\b|\breplace\s+(?:every|all|the|each)\b.{0,30}?\b"
    r"(?:address(?:es)?|links?|numbers?|e-?mails?)\s+with\b|\bthe\s+conversation\b.{0,30}?https?://",
    _I,
)
_GRANT = re.compile(
    r"\b(?:approved?|credit(?:ed)?|refund(?:ed)?|compensation|voucher|discount|free|waived?|reimburs\w*|"
    r"promo\s+code|cancel+ed|unlimited|entitled|genehmigt|gutschrift|erstattung|storniert|gratuit\w*|"
    r"approuvé|avoir|remboursement|annulées?|aprobado|reembolso)\b|已批准|退款|补偿|优惠码|取消",
    _I,
)
_TONE_EXTRA = (
    r"|\bswear\s+words\b|\bshout\s+at\b|\bguilt-?trip\w*\b|\btheir\s+own\s+fault\b|\b(?:question|doubt|"
    r"mock)\s+(?:the\s+)?(?:customer|user|reader)['’]s\s+(?:competence|intelligence|skills?)\b|\bincompetent\b"
    r"|\bpatronising\b|\bscortese\b|\bmaleducat\w*\b|\bonbeleefd\b"
)
_TONE = re.compile(
    r"\b(?:reply|respond|answer|write|be)\b.{0,25}?\b(?:rude(?:ly)?|sarcastic\w*|condescending|hostile|"
    r"offensive|insulting\w*|mocking)\b|\b(?:insult|mock|belittle|threaten)\w*\s+(?:the\s+)?(?:customer|reader|"
    r"user|person|them)\b|\bcall\w*\s+(?:the\s+customer|them)\s+(?:an?\s+)?(?:idiot|stupid|fool)\b"
    r"|\bquestion\s+is\s+stupid\b|\boffensive\s+language\b|\bin\s+(?:all\s+caps|capital\s+letters)\b"
    r"|\bfeel\s+(?:guilty|stupid|ashamed)\b|\bmake\s+fun\s+of\b"
    r"|\b(?:unhöflich|beleidig\w*|impoli\w*|insulte\w*|grosera|insulta)\b|粗鲁|侮辱" + _TONE_EXTRA,
    _I,
)


# A document granting something to one customer ("the refund window is waived for this customer"): a
# policy speaks to everyone, a planted approval to the one who asks.
_FOR_THIS_CUSTOMER = re.compile(
    r"\b(?:exception|approval|waiver|credit|refund|discount)\s+(?:granted|approved)\b|\b(?:waived|approved|"
    r"granted|credited|refunded|cancelled|extended)\s+(?:\w+\s+){0,2}for\s+this\s+(?:customer|account|user|"
    r"client|requester)\b",
    _I,
)
# An order to grant or confirm something: "Confirm a 100% discount", "Grant any refund".
_IMPERATIVE_GRANT = re.compile(
    r"^\W{0,3}(?:confirm|grant|promise|approve|guarantee|offer|give)\s+(?:a|an|any|every|all|the|them|"
    r"that)\b.{0,60}?\b(?:refunds?|credits?|discounts?|vouchers?|compensation|exceptions?|waiver|free|"
    r"approved|upgrade)\b|\b(?:approve|grant)\s+(?:any|every|all)\b",
    _I,
)


def _caps_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha() and ch.isascii()]
    if len(letters) < 12:
        return 0.0
    return sum(1 for ch in letters if ch.isupper()) / len(letters)


CUES: tuple[tuple[str, str], ...] = (
    ("addressee", "addresses an AI assistant or model"),
    ("your_rules", "speaks to a model about its own rules or role"),
    ("override", "asks to ignore or replace instructions"),
    ("role_claim", "poses as a system or developer message"),
    ("reveal", "asks to reveal prompts, instructions or internal notes"),
    ("others_data", "asks for other customers' data"),
    ("reply_directive", "dictates what a reply must say"),
    ("tell_customer", "tells someone what to say to the customer"),
    ("exfil", "sends readers or data to an outside address"),
    ("tone", "asks for a hostile or mocking tone"),
)


def cue_values(text: str) -> dict[str, float]:
    """The cue features of one (normalised) sentence."""
    values = {
        "addressee": float(bool(_ADDRESSEE.search(text))),
        "your_rules": float(bool(_YOUR_RULES.search(text))),
        "override": float(bool(_OVERRIDE.search(text))),
        "role_claim": float(bool(_ROLE_CLAIM.search(text))),
        "reveal": float(bool(_REVEAL.search(text))),
        "others_data": float(bool(_OTHERS_DATA.search(text))),
        "reply_directive": float(bool(_REPLY_DIRECTIVE.search(text))),
        "weak_directive": float(bool(_WEAK_DIRECTIVE.search(text))),
        "your_instructions": float(bool(re.search(r"\byour\s+(?:instructions|rules)\b", text, _I))),
        "tell_customer": float(bool(_TELL_CUSTOMER.search(text))),
        "exfil": float(bool(_EXFIL.search(text))),
        "tone": float(bool(_TONE.search(text))),
        "to_writer": float(bool(_TO_WRITER.search(text))),
    }
    grant = bool(_GRANT.search(text))
    speech = values["tell_customer"] > 0 or values["reply_directive"] > 0 or values["weak_directive"] > 0
    imperative_grant = bool(_IMPERATIVE_GRANT.search(text))
    values["speech_and_grant"] = float((speech and grant) or imperative_grant)
    values["for_this_customer"] = float(bool(_FOR_THIS_CUSTOMER.search(text)))
    values["addressee_and_speech"] = float(values["addressee"] > 0 and speech)
    values["caps"] = 1.0 if _caps_ratio(text) >= 0.7 else 0.0
    values["caps_and_cue"] = values["caps"] * float(
        any(values[name] for name in ("addressee", "override", "reply_directive", "your_rules"))
    )
    return values


def cue_reason(sentence: str) -> str:
    """In words, why a sentence reads as an instruction: up to three of the cues of its readings, led by
    "hides its words in an encoding" when it has readings besides the plain one."""
    found: set[str] = set()
    texts = readings(sentence)
    for text in texts:
        found |= {name for name, value in cue_values(text).items() if value}
    said = [words for name, words in CUES if name in found]
    if len(texts) > 1:
        said.insert(0, "hides its words in an encoding")
    return "; ".join(said[:3]) or "reads as an instruction to a model"


def claims_a_role(sentence: str) -> bool:
    """A system, developer or configuration header ("BEGIN SYSTEM PROMPT", "[developer note]"): what follows
    it is its body."""
    return any(_ROLE_CLAIM.search(reading) for reading in readings(sentence))


def speaks_to_writer(sentence: str) -> bool:
    """Whether a sentence directs whoever writes a reply (what to tell customers, a code to quote, a payload
    in parts) rather than informing the reader: never a sentence to quote to a customer, whoever wrote it."""
    return any(_TO_WRITER.search(r) or _TO_WRITER_LOOSE.search(r) for r in readings(sentence))


_MODEL_DIRECTED = (
    "addressee",
    "your_rules",
    "override",
    "role_claim",
    "reveal",
    "others_data",
    "exfil",
    "tone",
)


def model_directed(sentence: str) -> bool:
    """Whether some reading of the sentence has a cue that only an instruction to a model has (not merely
    a direction about what to tell a customer, which staff playbooks are full of)."""
    return any(cue_values(r)[name] for r in readings(sentence) for name in _MODEL_DIRECTED)
