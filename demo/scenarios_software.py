"""Demo ticket scenarios: Books, Invoicing, Payroll, Inventory, Insights, Mobile and the API."""

from __future__ import annotations

from .scenarios import Scenario

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="books-bank-feed-delay",
        products=("books",),
        tags=("bank-feeds",),
        priority="high",
        subjects=(
            "Bank feed not updating since {date}",
            "Transactions missing from bank feed",
            "Bank feed stuck - no new lines in Books",
            "Why is my bank feed days behind?",
            "Feed sync delay on our business account",
        ),
        openings=(
            "Our bank feed in {product} hasn't pulled in anything since {date}. The bank app shows a dozen "
            "card payments that simply aren't there. Is something wrong on your side?",
            "Bank feed is stuck again. Nothing new for two days. Please fix.",
            "Hello, I'm trying to close last week in {product} but the feed for our main current account "
            "stops on {date}. The savings account on the same bank is fine, which is odd. I haven't changed "
            "anything in the connection. Could you take a look?",
            "This is getting frustrating. I reconcile every Monday and today the feed is empty, so my "
            "bookkeeper is sitting idle. We pay for {plan} and expect the feed to just work.",
            "Quick one: the bank feed shows 'last synced' on {date}. Should I reconnect it or wait?",
        ),
        acknowledgements=(
            "Thanks for flagging this, and sorry the feed has left a gap in your week.",
            "I can see why that's holding you up; a feed that stops quietly is the worst kind of problem.",
            "Thanks for the detail about which account is affected, that narrows it down nicely.",
            "Sorry for the wait on those transactions; let's get the feed moving again.",
        ),
        steps=(
            (
                "Check status.quillfeather.example for an open incident on bank feeds; if there is one, "
                "the feed will catch up on its own once it is resolved and nothing is lost.",
                "Open Books > Banking > Bank feeds and look at the 'Last synced' time for the affected "
                "account.",
                "If it says 'Reauthorisation needed', click Reconnect and sign in to your bank again.",
                "Click Sync now and give it a few minutes before refreshing the page.",
            ),
            (
                "Go to Books > Banking > Bank feeds and select the account that stopped on {date}.",
                "Click Sync now; if an error message appears, copy its exact wording into your reply.",
                "Sign in to your online banking and accept any pending consent or security prompt there.",
                "If the gap needs to be closed today, import a statement file under Books > Banking > "
                "Import statement; duplicates are matched when the feed catches up.",
            ),
        ),
        closing=(
            "If the feed is still stuck after that, reply with the bank's name and I'll chase it for you.",
            "Let me know how the sync goes and I'll keep an eye on it from our side too.",
            "Any transactions the feed missed will arrive with their original dates, so your history stays "
            "complete.",
        ),
        followups=(
            "Reconnected it and it pulled in some lines, but still nothing after {date}.",
            "The status page shows an incident. Any idea how long it will take?",
            "Worked, thank you. Everything is back up to today.",
            "Will I get duplicates if I import a statement and then the feed catches up?",
        ),
        second_replies=(
            "Thanks for trying that. I've passed your account to our bank feed engineers with the exact "
            "date of the gap, and I'll update you as soon as they've had a look.",
            "We don't have a firm time yet, but updates are posted on status.quillfeather.example as they "
            "happen. The missing transactions will arrive once the delay clears, with no action needed.",
            "Great to hear it's caught up. If it stalls again, the 'Last synced' time under Books > Banking "
            "> Bank feeds is the quickest thing to check.",
            "No, imported lines are matched against the feed, so the same transaction won't be added twice. "
            "If anything does look doubled, reply and I'll check it with you.",
        ),
        internal_notes=(
            "Check against the open bank feed incident before escalating; link ticket if it matches.",
            "Single account on the bank affected, consent likely expired. P2 if reconnect fails.",
            "Customer reconciles weekly, follow up Monday morning.",
        ),
        resolutions=("sync caught up", "feed reconnected", "linked to incident"),
    ),
    Scenario(
        key="books-reconciliation",
        products=("books",),
        tags=("bank-feeds", "reports"),
        priority="normal",
        subjects=(
            "Reconciliation doesn't balance",
            "Difference of {amount} in bank reconciliation",
            "Statement balance and Books balance don't match",
            "Reconciled account is off after {date}",
            "Help with reconciliation mismatch",
        ),
        openings=(
            "I've reconciled every line for last month but {product} still shows a difference of {amount} "
            "against the bank statement. I've been through it twice and can't find it.",
            "Reconciliation off by {amount}. Statement is correct. Where do I look?",
            "Hello, our accountant noticed that the closing balance in Books doesn't match the bank for the "
            "period ending {date}. Nothing has been deleted as far as I know. We need this sorted before "
            "the quarter is filed.",
            "Something has gone badly wrong with our bank reconciliation. It balanced last month and now "
            "it's out, and I haven't touched the earlier periods. This is eating my whole afternoon.",
            "Is there a report that shows what changed in a reconciled period? We're {amount} out.",
        ),
        acknowledgements=(
            "Thanks for going through it twice already; differences like this usually come from a handful "
            "of common causes.",
            "Sorry this is taking up your afternoon, let's find that {amount} together.",
            "Good question, and there is a way to see what changed after a period was reconciled.",
        ),
        steps=(
            (
                "Open Books > Banking > Reconcile, pick the account and set the statement date to {date}.",
                "Check that the opening balance matches the closing balance of the previous statement.",
                "Filter the list by 'Reconciled' and sort by amount to spot any line entered twice.",
                "Look for a single transaction equal to the difference, often a fee or a transfer booked "
                "to the wrong account.",
            ),
            (
                "Run Books > Reports > Reconciliation report for the period ending {date}.",
                "Open the 'Changed after reconciliation' section to see edited or deleted lines and who "
                "made the change.",
                "Restore or re-enter any line listed there, then reconcile the period again.",
            ),
        ),
        closing=(
            "If the difference is still there, reply with the account name and the period and I'll check "
            "the audit trail with you.",
            "Let me know what the report shows and we'll go from there.",
            "Once the opening balance lines up, the rest usually follows quickly.",
        ),
        followups=(
            "Found it - a transfer booked twice. All balanced now, thanks.",
            "The report shows a deleted line from someone on my team. Can I undo that?",
            "The opening balance matches but I'm still {amount} out.",
            "Our accountant wants to know if reconciling again changes the filed quarter.",
        ),
        second_replies=(
            "Glad you found it, doubled transfers are the usual culprit. Thanks for letting me know.",
            "Deleted lines can't be restored from the report, but you can re-enter the transaction with "
            "the same date and amount and then reconcile it. The audit trail keeps a record of both steps.",
            "Thanks for checking. Please send the account name and the statement date and I'll go through "
            "the lines with you to find the rest.",
            "Reconciling again only changes which lines are marked as matched; it doesn't change filed "
            "figures unless a transaction itself is edited.",
        ),
        internal_notes=(
            "Likely duplicate transfer. P3, walk through reconciliation report.",
            "Check audit trail for deleted lines after last reconciliation.",
        ),
        resolutions=("balanced", "duplicate removed", "explained"),
    ),
    Scenario(
        key="invoicing-emails-missing",
        products=("invoicing",),
        tags=("invoicing",),
        priority="normal",
        subjects=(
            "Client didn't receive invoice {invoice_ref}",
            "Invoice e-mails not arriving",
            "Customers say they never get our invoices",
            "Invoice sent but nothing in client's inbox",
            "Are invoice e-mails going out at all?",
        ),
        openings=(
            "I sent invoice {invoice_ref} for {amount} on {date} and my client says it never arrived. "
            "{product} shows it as sent. Can you check what happened?",
            "Invoices aren't reaching clients. Third complaint this week.",
            "Hello, two of our regular clients have told us they no longer get our invoice e-mails. They "
            "used to arrive fine. We haven't changed our sender settings, and I've checked the addresses. "
            "Could something be blocking them?",
            "I'm chasing a client for payment of {amount} and they say they were never invoiced. Rather "
            "embarrassing. I need to know whether the e-mail actually left your system.",
            "How can I see if an invoice e-mail was delivered or bounced?",
        ),
        acknowledgements=(
            "Thanks for letting us know, and sorry for the awkward conversation with your client.",
            "Let's check whether the e-mail left us and where it ended up.",
            "Good question, each invoice keeps a delivery log you can check yourself.",
        ),
        steps=(
            (
                "Open Invoicing > Invoices, select {invoice_ref} and go to the Activity tab.",
                "Check the delivery status: 'Delivered' means your client's mail server accepted it, "
                "'Bounced' shows the reason it was refused.",
                "Confirm the e-mail address on the client under Invoicing > Clients, then click Resend.",
                "Ask your client to look in their spam or quarantine folder and to allow "
                "invoices@quillfeather.example.",
            ),
            (
                "Open the invoice under Invoicing > Invoices and click Copy link.",
                "Send that link to your client directly from your own mailbox so they have it today.",
                "Check the sender settings under Invoicing > Settings > E-mail and make sure the reply-to "
                "address is one you read.",
            ),
        ),
        closing=(
            "If the log shows 'Delivered' and your client still can't find it, send me the address and "
            "I'll look at our mail logs.",
            "Let me know what the Activity tab shows and we'll take it from there.",
            "Once the address is confirmed, future invoices to that client should arrive as normal.",
        ),
        followups=(
            "It says Bounced - mailbox full. I've asked them to clear it.",
            "The log says Delivered but they still insist it isn't there.",
            "Resent it and they got it this time, thanks.",
            "Can invoices be sent from our own domain instead?",
        ),
        second_replies=(
            "That explains it. Once their mailbox has space, click Resend on the invoice and it will go out "
            "straight away.",
            "In that case their mail server accepted it, so it is most likely filtered on their side. Their "
            "IT contact can search their quarantine for invoices@quillfeather.example.",
            "Good to hear it's arrived. Thanks for confirming.",
            "Invoices are always sent from invoices@quillfeather.example, but you can set your own "
            "reply-to address under Invoicing > Settings > E-mail so answers come straight to you.",
        ),
        internal_notes=(
            "Delivery log shows accepted by recipient server. Not our side, P3.",
            "Bounce: recipient mailbox full. Customer informed.",
            "Several clients on same domain not receiving, check for domain-wide block.",
        ),
        resolutions=("resent", "client-side filter", "address corrected"),
    ),
    Scenario(
        key="invoicing-payment-link",
        products=("invoicing",),
        tags=("invoicing",),
        priority="high",
        subjects=(
            "Payment link on invoice doesn't work",
            "Client can't pay invoice {invoice_ref} online",
            "'Pay now' button shows an error",
            "Payment link expired?",
            "Online payment page won't load for my customers",
        ),
        openings=(
            "My client clicked the Pay now link on invoice {invoice_ref} and got a page saying the link is "
            "no longer valid. The invoice is for {amount} and still unpaid. What's going on?",
            "Payment links broken. Clients can't pay. Urgent.",
            "Hello, since {date} a few of our clients have said the online payment page for our invoices "
            "won't open. Bank transfer still works, but most of them prefer card. Could you check our setup?",
            "I've just lost a sale because the payment link on my invoice doesn't work. I sent it from "
            "{product} this morning and my client gave up after the error. Please sort this out quickly.",
            "Do payment links expire? A client is trying to pay an older invoice and it fails.",
        ),
        acknowledgements=(
            "Sorry about that, a payment link that fails at the last step is exactly what you don't want.",
            "Thanks for the invoice number, that makes it quick to check.",
            "Let's get your clients paying again; the usual causes are quick to check.",
        ),
        steps=(
            (
                "Open Invoicing > Invoices, select {invoice_ref} and check it isn't marked Void or Paid; "
                "links for those invoices are switched off.",
                "If you edited the invoice after sending it, click Send again so your client gets the "
                "current link.",
                "Open the link yourself in a private browser window to see exactly what your client sees.",
            ),
            (
                "Go to Invoicing > Settings > Online payments and check the card provider shows 'Connected'.",
                "If it shows 'Action needed', click Reconnect and finish any checks your provider asks for.",
                "Make sure the invoice currency is one your provider accepts.",
                "Resend the invoice from Invoicing > Invoices so your client gets a fresh link.",
            ),
        ),
        closing=(
            "If the link still fails, reply with the error text your client sees and I'll check it straight "
            "away.",
            "Your client can pay by bank transfer meanwhile, with the details printed on the invoice.",
            "Let me know once you've tried and I'll stay on this until it works.",
        ),
        followups=(
            "The provider showed Action needed. Reconnected and it works now.",
            "It's not void or paid and I didn't edit it, still the same error.",
            "My client tried again and it went through. Thanks for the quick help.",
            "Can I turn off card payments for one client only?",
        ),
        second_replies=(
            "That was it, then: the provider pauses payments until its checks are done. Glad it's working "
            "again.",
            "Thanks for checking those. I've passed the invoice to our technical team with the error text "
            "and will update you as soon as I hear back.",
            "Great news, thanks for letting me know it went through.",
            "Yes, open the client under Invoicing > Clients and untick card payments there; their future "
            "invoices will only show the bank details.",
        ),
        internal_notes=(
            "Provider connection needs reauth, customer walked through reconnect.",
            "Invoice active, provider connected, link still failing. P2, escalate to technical.",
        ),
        resolutions=("provider reconnected", "invoice resent", "escalated"),
    ),
    Scenario(
        key="payroll-deadline-missed",
        products=("payroll",),
        tags=("payroll",),
        priority="urgent",
        subjects=(
            "Missed the pay run approval - staff paid late?",
            "Forgot to approve payroll, pay day is {date}",
            "Pay run approved late, will wages arrive on time?",
            "Urgent: payroll not approved in time",
            "Can you speed up our pay run?",
        ),
        openings=(
            "I approved this month's pay run this morning, but pay day is {date} and the screen says the "
            "transfers will arrive late. I have twelve staff expecting their wages. Is there anything you "
            "can do?",
            "Missed the payroll approval. Pay day tomorrow. Help.",
            "Hello, I was off sick and our pay run didn't get approved on time. I now see a warning about "
            "the approval deadline. What are our options, and do I need to do anything about the tax filing?",
            "Honestly I think the deadline warning should be much louder. I missed it and now my team will "
            "be paid late. I need to know exactly when the money lands so I can tell them.",
            "What's the latest I can approve a pay run and still have wages arrive on pay day?",
        ),
        acknowledgements=(
            "I'm sorry, I know late wages are stressful for you and your team; let's work out the quickest "
            "route.",
            "Thanks for getting in touch straight away, that gives us the most room.",
            "Good question: pay runs need to be approved 2 business days before pay day for bank transfers "
            "to arrive on time.",
        ),
        steps=(
            (
                "If the pay run isn't approved yet, approve it now under Payroll > Pay runs; every hour "
                "counts.",
                "Open the approved run and check the 'Expected arrival' date shown for the bank transfers.",
                "Let your staff know that date; we can't bring bank transfers forward once they are sent.",
                "Your tax filing is submitted automatically on approval, so there's nothing extra to file.",
            ),
            (
                "Open Payroll > Pay runs and check whether the run shows Draft or Approved.",
                "If it's still a draft, approve it; if the pay date is already too close, change it under "
                "Edit pay date to a date at least 2 business days ahead and approve.",
                "Turn on approval reminders under Payroll > Settings > Notifications so the next deadline "
                "doesn't slip.",
            ),
        ),
        closing=(
            "I'm sorry I can't make the transfers arrive sooner, but the expected arrival date is reliable.",
            "Reply here if the arrival date looks wrong and I'll check it with our payroll team.",
            "Setting the reminder now should save you from this next month.",
        ),
        followups=(
            "Approved it. Arrival shows one day after pay day. Can't you push it through faster?",
            "Does approving late affect the tax filing in any way?",
            "Reminders switched on, thanks. Staff have been told.",
            "Can I pay a couple of people manually from my bank and leave them out of the run?",
        ),
        second_replies=(
            "I understand, and I'm sorry. Once a run is approved the transfers go through the normal banking "
            "schedule and we can't speed them up, so the arrival date shown is the one to give your staff.",
            "No, the tax filing is submitted automatically when you approve, and it records the pay date on "
            "the run, so nothing extra is needed from you.",
            "Thanks for letting me know, I'm glad the team has a clear date.",
            "You can, but then remove those employees from this run before approving so they aren't paid "
            "twice, and record the manual payment with an adjustment run afterwards so your records match.",
        ),
        internal_notes=(
            "Approved inside the 2-business-day window. Transfers can't be expedited; explained.",
            "Customer asked for manual payments, warned about double payment.",
            "Suggest approval reminders; customer missed deadline while off.",
        ),
        resolutions=("approved late, date explained", "pay date moved", "reminders enabled"),
    ),
    Scenario(
        key="payroll-correction",
        products=("payroll",),
        tags=("payroll",),
        priority="high",
        subjects=(
            "Wrong salary in filed pay run",
            "How do I correct payroll after it's been filed?",
            "Overpaid an employee by {amount}",
            "Need to fix a pay run from {date}",
            "Mistake in payroll - tax already submitted",
        ),
        openings=(
            "We've just noticed that one of our employees was paid the old hourly rate in the pay run for "
            "{date}. The run is approved and the tax filing has gone. How do I fix this properly?",
            "Overpaid someone by {amount}. Run is filed. What now?",
            "Hello, our bookkeeper entered a bonus twice in the last pay run, so one person got {amount} too "
            "much. I tried to edit the run but everything is locked. Can you unlock it for us?",
            "I'm quite worried about this. An employee's tax code was wrong and the filing has already been "
            "submitted. I don't want to get in trouble with the tax office.",
            "Can an approved pay run be reopened?",
        ),
        acknowledgements=(
            "Thanks for catching this; it's fixable, and you won't need to touch the original run.",
            "That's a common mistake and there's a clean way to correct it.",
            "Don't worry, corrections after filing are exactly what adjustment runs are for.",
        ),
        steps=(
            (
                "Open Payroll > Pay runs and select the run for {date}.",
                "Click Create adjustment run and pick the affected employee.",
                "Enter the difference: a positive amount for an underpayment, or a negative amount such as "
                "{amount} for an overpayment.",
                "Review and approve the adjustment run; the corrected tax filing is submitted automatically "
                "on approval.",
            ),
            (
                "Fix the source first: correct the rate, bonus or tax code under Payroll > Employees.",
                "Go back to Payroll > Pay runs, open the filed run and click Create adjustment run.",
                "Check the difference it calculates, then approve it to send the correction.",
            ),
        ),
        closing=(
            "Approved runs can't be reopened, which keeps your filing history intact.",
            "If the adjustment figures look off, reply with a screenshot and I'll go through it with you.",
            "Once the adjustment is approved, the employee's year-to-date figures update on their next "
            "payslip.",
        ),
        followups=(
            "Done, adjustment approved. Does the employee get a separate payslip?",
            "How do I actually get the overpaid {amount} back from the employee?",
            "The adjustment run shows a different figure from what I expected.",
            "Could you not just unlock the original run? It would be simpler.",
        ),
        second_replies=(
            "Yes, the adjustment run produces its own payslip, which the employee receives the same way as "
            "their usual one.",
            "The adjustment records the overpayment for tax; how you recover the money is between you and "
            "the employee, for example a deduction agreed in writing on the next run.",
            "Thanks for checking. Please send the employee's name and the figure you expected and I'll walk "
            "through the calculation with you.",
            "I'm afraid not: once a run is filed it stays locked so it matches what the tax office received. "
            "The adjustment run is the way to correct it.",
        ),
        internal_notes=(
            "Filed run, explained adjustment run. P3.",
            "Customer asked to unlock filed run; declined, adjustment run instead.",
            "Tax code error, check employee record was corrected before adjustment.",
        ),
        resolutions=("adjustment run approved", "explained"),
    ),
    Scenario(
        key="payroll-payslips-missing",
        products=("payroll",),
        tags=("payroll",),
        priority="high",
        subjects=(
            "Employees didn't get their payslips",
            "Payslip e-mails missing for pay run on {date}",
            "Staff asking where their payslips are",
            "No payslip e-mail after approval",
            "Some employees received payslips, others didn't",
        ),
        openings=(
            "We approved the pay run for {date} and the wages arrived, but none of the staff have had their "
            "payslip e-mail. They're asking me and I don't know what to tell them.",
            "Payslips not received. Whole team. Please check.",
            "Hello, about half of our employees got their payslips this month and the rest didn't. The ones "
            "missing are mostly newer starters, if that helps. Could you check what went wrong?",
            "This is the second month in a row someone hasn't had a payslip. People need them for rent and "
            "mortgage applications, so this really matters to us.",
            "Is there a way to see whether a payslip e-mail was actually sent to an employee?",
        ),
        acknowledgements=(
            "Thanks for letting us know; I understand your team needs those payslips, so let's get them out.",
            "That detail about newer starters is really helpful, it points to a likely cause.",
            "Yes, every pay run shows the delivery status for each payslip.",
        ),
        steps=(
            (
                "Open Payroll > Pay runs, select the run for {date} and go to the Payslips tab.",
                "Check the e-mail status next to each employee: 'Sent', 'Bounced' or 'No e-mail address'.",
                "For anyone without an address, add it under Payroll > Employees and save.",
                "Back on the Payslips tab, select the affected employees and click Resend payslips.",
            ),
            (
                "Go to Payroll > Pay runs, open the run and click Download payslips to get the PDFs now.",
                "Share each PDF with the employee directly so nobody has to wait.",
                "Ask affected employees to check their spam folder and allow payslips@quillfeather.example.",
            ),
        ),
        closing=(
            "If the status shows 'Sent' but people still can't find them, reply with one employee's address "
            "and I'll check our mail logs.",
            "Let me know how the resend goes and I'll keep the ticket open until everyone has theirs.",
            "Adding the missing addresses now means next month's payslips go out automatically.",
        ),
        followups=(
            "The new starters had no e-mail address on file. Added and resent, all good.",
            "Status says Sent for everyone, but nobody has them.",
            "Is this the same problem you had last summer with payslips?",
            "Can employees get payslips on the app instead of e-mail?",
        ),
        second_replies=(
            "That explains it, thanks for fixing the records. Next month's payslips will go to them "
            "automatically.",
            "Thanks for checking. I've asked our payroll team to trace the delivery from our side and I'll "
            "update you here as soon as they report back.",
            "Let me check that for you: if our status page shows an open incident for payslip e-mails, "
            "your ticket will be linked to it and you'll be updated when it's fixed.",
            "Payslips are sent by e-mail, and you can always download the PDFs from the pay run to share "
            "them another way.",
        ),
        internal_notes=(
            "Missing employee e-mail addresses on new starters. P3.",
            "All statuses Sent, none received. Check for payslip delivery incident; P2 if not.",
        ),
        resolutions=("payslips resent", "employee addresses added", "linked to incident"),
    ),
    Scenario(
        key="inventory-count-mismatch",
        products=("inventory", "pos"),
        tags=("inventory",),
        priority="normal",
        subjects=(
            "Stock levels don't match the shelf",
            "Inventory count is wrong after stocktake",
            "Stock shows negative for some items",
            "Counts off since {date}",
            "POS sales not reducing stock?",
        ),
        openings=(
            "We did a full stocktake on {date} and entered the counts, but {product} already shows "
            "different numbers for about twenty items. Nothing has been sold since. Where do these changes "
            "come from?",
            "Stock numbers wrong again. Negative quantities on several products.",
            "Hello, our shop manager says the stock levels in Inventory don't match what's on the shelves. "
            "We sell through the POS on two tills and receive deliveries weekly. I'd like to understand how "
            "the numbers are calculated.",
            "I can't trust the stock figures at all at the moment. We ordered things we didn't need because "
            "the system said we'd run out. I need this fixed before the next purchase order goes out.",
            "Does a sale made while the till is offline still reduce stock?",
        ),
        acknowledgements=(
            "Thanks for the detail; mismatches like this almost always trace back to a few specific events.",
            "Sorry the figures led to an unnecessary order, let's find where they drift.",
            "Good question, and yes: offline sales reduce stock once the till syncs.",
        ),
        steps=(
            (
                "Open Inventory > Items, select an item that's wrong and open its Stock history.",
                "Look at each change after {date}: sale, purchase order, adjustment or count.",
                "Make sure every till running POS is online, so any sales queued in offline mode sync.",
                "Check Inventory > Purchase orders for deliveries marked Received twice or not at all.",
            ),
            (
                "Go to Inventory > Stock counts and check your count shows Completed, not Draft.",
                "If it's a draft, review the lines and click Complete count to apply the numbers.",
                "For items that still differ, record a stock adjustment with a reason so the history stays "
                "clear.",
            ),
        ),
        closing=(
            "If the stock history shows a change you can't explain, send me the item name and I'll look "
            "into it.",
            "Once the count is completed and the tills have synced, the figures should settle.",
            "Let me know what the stock history shows and we'll go through it together.",
        ),
        followups=(
            "The count was still a draft. Completed it and the numbers look right.",
            "One till had been offline for days. It synced and now the numbers make sense.",
            "Stock history shows a purchase order received twice. How do I reverse it?",
            "Still negative stock on two items and I can't see why.",
        ),
        second_replies=(
            "That's the one, a draft count doesn't change stock until it's completed. Glad it's sorted.",
            "Thanks for checking the tills; offline sales only reach Inventory once the till is back online.",
            "Open the purchase order under Inventory > Purchase orders and undo the second receipt; stock "
            "goes back down by the same quantity.",
            "Please send me the two item names and I'll go through their stock history with you, line by "
            "line.",
        ),
        internal_notes=(
            "Draft stock count never completed. P3.",
            "Till offline for several days, sales synced on reconnect.",
            "Duplicate PO receipt, walked customer through undo.",
        ),
        resolutions=("count completed", "offline sales synced", "explained"),
    ),
    Scenario(
        key="insights-not-updating",
        products=("insights", "books"),
        tags=("reports",),
        priority="normal",
        subjects=(
            "Dashboard not showing latest figures",
            "Insights report stuck on {date}",
            "Sales report not updating",
            "Reports show old data",
            "Why doesn't Insights match Books?",
        ),
        openings=(
            "Our revenue dashboard in {product} still shows figures from {date}, even though we've posted "
            "plenty of invoices since. The numbers in Books itself are up to date.",
            "Insights not refreshing. Board meeting tomorrow.",
            "Hello, I built a monthly profit report last week and it worked nicely, but now it doesn't "
            "change no matter what we enter. Have we set something up wrong?",
            "I'm a bit fed up with this. I've refreshed the page a dozen times and the dashboard still "
            "shows last week. I need numbers I can trust for the meeting.",
            "How often do Insights reports update?",
        ),
        acknowledgements=(
            "Thanks for letting us know; let's get those figures current before your meeting.",
            "Sorry about the stale numbers; a couple of settings cause this far more often than anything "
            "else.",
            "Good question, you can always see exactly when a report last refreshed.",
        ),
        steps=(
            (
                "Open the report in Insights > Reports and look at the 'Data as of' time at the top.",
                "Click Refresh data and wait for the time to update.",
                "Check the date range and filters; a fixed range ending on {date} won't show newer entries.",
            ),
            (
                "Go to Insights > Settings > Data sources and check that Books shows 'Connected'.",
                "If it shows a warning, click Reconnect with an administrator account.",
                "Return to the report and click Refresh data.",
                "Compare one total with the same report in Books > Reports to confirm they match.",
            ),
        ),
        closing=(
            "If the 'Data as of' time doesn't move after a refresh, reply and I'll check it from our side.",
            "Let me know whether the range or the data source was the culprit.",
            "Once the source is connected, the report keeps itself up to date.",
        ),
        followups=(
            "The report had a fixed date range. Switched to 'This month' and it's fine now.",
            "Data source shows Connected and refresh does nothing.",
            "Figures now update but differ slightly from Books.",
            "Can I schedule the report to be e-mailed to our board?",
        ),
        second_replies=(
            "That's a common one. A rolling range like 'This month' keeps the report current on its own.",
            "Thanks for checking. I've passed your report to our technical team and will update you as soon "
            "as I hear back.",
            "Small differences usually come from draft entries or a different date basis. Check that both "
            "reports include the same statuses and use the same date field.",
            "Yes, open the report and choose Schedule to e-mail it on a regular basis to the addresses you "
            "add.",
        ),
        internal_notes=(
            "Fixed date range on custom report. P3.",
            "Data source connected, refresh not updating. P2, escalate to technical.",
        ),
        resolutions=("date range corrected", "data source reconnected", "escalated"),
    ),
    Scenario(
        key="mobile-login-loop",
        products=("mobile",),
        tags=("mobile",),
        priority="high",
        subjects=(
            "App keeps sending me back to the login screen",
            "Can't log in to the mobile app",
            "Login loop on Android",
            "iPhone app asks for password over and over",
            "Stuck signing in to Quillfeather Mobile",
        ),
        openings=(
            "Every time I sign in to {product} on my phone it accepts the password, spins for a second and "
            "drops me back on the login screen. The web version works fine with the same details.",
            "App login loop. Tried three times. Same thing.",
            "Hello, since updating my phone on {date} the Quillfeather app won't let me in. I enter my "
            "password and the 2FA code, then it starts over. I've reinstalled it once already. Any ideas?",
            "I rely on the app to send invoices when I'm out on jobs and I've been locked out all morning. "
            "This is costing me real money. Please help.",
            "Is there a known problem with logging in to the app? It just goes round in circles.",
        ),
        acknowledgements=(
            "Sorry you're locked out, especially while you're out working; let's get you back in.",
            "Thanks for mentioning that the web version works, that points at the phone rather than your "
            "account.",
            "A loop after a correct password is usually down to the app or the phone's settings, so let's "
            "start there.",
        ),
        steps=(
            (
                "Update Quillfeather Mobile to the latest version from the App Store or Google Play.",
                "Check your phone's date and time are set automatically; a clock that's off makes 2FA "
                "codes fail.",
                "Open the app's settings, tap Sign out everywhere on this device, then close and reopen it.",
                "Sign in again with your password and a fresh 2FA code.",
            ),
            (
                "On Android, go to Settings > Apps > Quillfeather > Storage and tap Clear cache; on iPhone, "
                "delete and reinstall the app.",
                "If you're unsure of your password, request a reset from the sign-in screen and use the link "
                "within 1 hour, as it expires after that.",
                "Try signing in over a different connection, such as mobile data instead of Wi-Fi.",
            ),
        ),
        closing=(
            "If the loop continues, reply with your phone model and app version and I'll pass it to our "
            "mobile team.",
            "You can keep working in the web version meanwhile with the same login.",
            "Let me know how you get on and I'll stay on this with you.",
        ),
        followups=(
            "Phone clock was set manually and five minutes off. Fixed it and I'm in.",
            "Updated and cleared the cache, still looping.",
            "I've got a new phone and my 2FA app was on the old one. Can you just switch 2FA off for me?",
            "The reset link says it's expired.",
        ),
        second_replies=(
            "That was it, then: the codes depend on the clock. Thanks for letting me know you're back in.",
            "Thanks for trying those. Please send your phone model and the app version from its settings "
            "screen, and I'll pass it to our mobile team.",
            "I can't switch 2FA off over chat or e-mail alone, but the account owner can ask for a reset: "
            "reply from the verified e-mail address with the last 4 digits of the card on file or a recent "
            "invoice number, and we'll complete it within 1 business day.",
            "Reset links are valid for 1 hour, so please request a new one from the sign-in screen and use "
            "it straight away.",
        ),
        internal_notes=(
            "Device clock drift, 2FA codes rejected. P3.",
            "Customer asked to disable 2FA in chat; declined, identity verification explained.",
            "Loop persists after update and cache clear. P2, pass device details to mobile team.",
        ),
        resolutions=("clock corrected", "app reinstalled", "2FA reset after verification"),
    ),
    Scenario(
        key="api-rate-limit",
        products=("api",),
        tags=("api", "webhooks"),
        priority="high",
        subjects=(
            "Getting 429 Too Many Requests from the API",
            "API rate limit errors since {date}",
            "Webhook deliveries failing",
            "Our integration keeps hitting the rate limit",
            "Webhooks not arriving at our endpoint",
        ),
        openings=(
            "Our nightly sync against the {product} started failing on {date} with HTTP 429 responses. "
            "It pulls invoices and contacts page by page. Nothing changed on our end as far as I know.",
            "429s all morning. Integration is down. Please raise our limit.",
            "Hello, we subscribed to invoice webhooks but our endpoint hasn't received anything for a few "
            "days. The dashboard shows the subscription as active. We also see occasional 429s when we "
            "poll instead. What should we check?",
            "Our developer says your API is throttling us for no reason and our orders aren't syncing. We "
            "pay for {plan} and this is blocking our whole warehouse process.",
            "What's the recommended way to handle 429 responses from your API?",
        ),
        acknowledgements=(
            "Thanks for the details; 429s and quiet webhooks often turn out to be two sides of the same "
            "problem.",
            "Sorry the sync is blocked, let's get it running smoothly again.",
            "Good question; the response itself tells your client how long to wait.",
        ),
        steps=(
            (
                "When you get a 429, read the Retry-After header and wait at least that long before "
                "retrying.",
                "Add exponential backoff to your client and spread bulk jobs out instead of running them "
                "all at once.",
                "Request only what changed since your last sync, instead of paging through everything "
                "each night.",
                "Switch polling to webhooks where you can, so changes come to you.",
            ),
            (
                "Open Settings > Developer > Webhooks and select your subscription to see the delivery log.",
                "Check the response your endpoint returned for recent deliveries; anything other than a "
                "2xx status counts as failed.",
                "Make sure your endpoint answers quickly and does the heavy work afterwards, and that it "
                "verifies the signature with the current signing secret.",
                "Once it's fixed, select the failed deliveries and click Redeliver.",
            ),
        ),
        closing=(
            "If you still see 429s after adding backoff, send me a request ID from the response headers "
            "and I'll check the traffic with our API team.",
            "Let me know what the delivery log shows and we'll take it from there.",
            "Getting webhooks working again should take most of the load off your polling.",
        ),
        followups=(
            "Delivery log shows timeouts. Our endpoint was doing all the processing before answering.",
            "We added backoff and the 429s are gone. Thanks.",
            "Can you just raise our rate limit instead?",
            "We rotated the signing secret last week - could that be it?",
        ),
        second_replies=(
            "That explains the failures. Answer with a 2xx as soon as the event is received and process it "
            "afterwards, then redeliver the failed events from the log.",
            "Great, thanks for confirming. Backoff plus incremental syncs should keep you well clear of the "
            "limit.",
            "I can pass a request to our API team with your usage pattern, but I can't promise a higher "
            "limit; backoff and webhooks are the reliable fix either way.",
            "Very likely: deliveries are signed with the current secret, so update it on your endpoint and "
            "then redeliver the failed events from Settings > Developer > Webhooks.",
        ),
        internal_notes=(
            "Full re-sync nightly with no backoff, hitting rate limit. P3, advised incremental sync.",
            "Webhook endpoint timing out; advised fast 2xx and redelivery.",
            "Customer asked for limit increase; forwarded to API team, no promise made.",
        ),
        resolutions=("backoff added", "webhooks redelivered", "endpoint fixed"),
    ),
    Scenario(
        key="sso-setup",
        products=("books",),
        tags=("sso",),
        priority="normal",
        subjects=(
            "Setting up SAML single sign-on",
            "SSO with our identity provider",
            "Can we log in with our company accounts?",
            "SAML configuration question",
            "Enforcing SSO for all users",
        ),
        openings=(
            "We'd like our staff to sign in to {product} with their company accounts through our identity "
            "provider. Where do we find the SAML settings?",
            "Need SAML SSO set up. What details do you need from us?",
            "Hello, our IT team is rolling out single sign-on across all our tools this quarter. We're on "
            "{plan} at the moment. Could you tell us what's supported and how the setup works?",
            "I've been clicking around the settings for half an hour looking for SSO and can't find it "
            "anywhere. Does it actually exist?",
            "If we switch on SSO, what happens to users who already have passwords?",
        ),
        acknowledgements=(
            "Thanks for asking; SSO with SAML is available on the Enterprise plan, and the setup takes only "
            "a few steps.",
            "Sorry for the hunt through the settings; the SSO page only appears on Enterprise accounts.",
            "Happy to help with this; here's how SAML single sign-on is set up.",
        ),
        steps=(
            (
                "Check under Settings > Billing that your account is on Enterprise; SSO (SAML) is only "
                "available there.",
                "Open Settings > Security > Single sign-on and copy the Entity ID and ACS URL into your "
                "identity provider.",
                "Paste your identity provider's metadata URL, or upload its metadata file, and save.",
                "Click Test sign-in with one user before enforcing SSO for everyone.",
            ),
            (
                "If your account isn't on Enterprise yet, upgrade under Settings > Billing; upgrades take "
                "effect immediately and are pro-rated.",
                "Go to Settings > Security > Single sign-on and connect your identity provider with its "
                "SAML metadata.",
                "Make sure each user's e-mail address in Quillfeather matches the one in your identity "
                "provider.",
                "Turn on Enforce SSO once a test sign-in has worked.",
            ),
        ),
        closing=(
            "On Enterprise, your dedicated account manager can also join a call with your IT team if that "
            "helps.",
            "If the test sign-in fails, reply with the error message and I'll look at it with you.",
            "Let me know once it's connected and I'll check everything looks right from our side.",
        ),
        followups=(
            "We're on Growth. Can we get SSO without upgrading?",
            "Test sign-in works. Do existing users need new accounts?",
            "The test fails with a message about the audience not matching.",
            "Does SSO also work in the mobile app?",
        ),
        second_replies=(
            "I'm afraid SSO (SAML) is only part of the Enterprise plan. If you upgrade, it takes effect "
            "immediately and is pro-rated for the rest of your billing period.",
            "No, existing users keep their accounts and simply sign in through SSO, as long as their e-mail "
            "addresses match your identity provider.",
            "That usually means the Entity ID in your identity provider doesn't match ours exactly. Copy it "
            "again from Settings > Security > Single sign-on, save, and run the test once more.",
            "Yes, once SSO is set up, users choose 'Sign in with SSO' in Quillfeather Mobile and go through "
            "your identity provider there too.",
        ),
        internal_notes=(
            "Customer not on Enterprise; explained SSO is Enterprise only, no exceptions.",
            "Enterprise account, audience mismatch in IdP config. P3. Account manager informed.",
        ),
        resolutions=("SSO configured", "explained", "upgrade to Enterprise"),
    ),
)
