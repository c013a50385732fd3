"""Demo ticket scenarios: billing, refunds, plans and account access."""

from __future__ import annotations

from .scenarios import Scenario

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="refund-monthly",
        products=("books", "invoicing"),
        tags=("billing", "refund"),
        priority="normal",
        subjects=(
            "Refund for this month's charge please",
            "Can I get my money back? Signed up last week",
            "Refund request {invoice_ref}",
            "We're not going to use {product} after all",
            "Charged {amount}, want to cancel and get a refund",
        ),
        openings=(
            "Hello, we started the monthly subscription for {product} about a week ago, but it turns out our "
            "accountant uses different software and we need to stay with that. Could you refund the charge "
            "of {amount} on invoice {invoice_ref}? Thanks for your help.",
            "Please refund {invoice_ref} and close the subscription. Not needed any more.",
            "I was charged {amount} a few days ago and honestly I forgot the trial had ended. I've barely "
            "logged in. Is there any way to get that back? I'd rather not pay for a month I won't use.",
            "We're a two-person bakery and tried {product} for our bookkeeping. It's a good product but more "
            "than we need right now. The monthly charge went through on the 1st and I'd like to cancel "
            "and be refunded if that's still possible. I'm the account owner.",
            "Why was I charged again? I meant to cancel. I want the {amount} back.",
        ),
        acknowledgements=(
            "Thanks for letting us know, and sorry {product} wasn't the right fit this time.",
            "Good news: monthly charges can be refunded in full within 14 days, and yours is inside that "
            "window.",
            "I've checked invoice {invoice_ref} and the charge is recent enough to qualify for a full refund.",
            "No problem at all; a monthly charge from the last 14 days can be refunded in full.",
        ),
        steps=(
            (
                "Sign in as the account owner or a billing admin.",
                "Go to Settings > Billing > Invoices, open {invoice_ref} and select Request refund.",
                "Watch for the credit note we e-mail once the refund is issued; it also appears under "
                "Settings > Billing > Invoices.",
            ),
            (
                "Before the refund goes through, export anything you want to keep from Settings > Data > "
                "Export, because refunding a monthly charge also cancels the subscription.",
                "Reply to this message from the account owner's e-mail address to confirm you want the "
                "refund of {amount}.",
                "Allow 5-10 business days for the money to reach the card or account that was charged.",
            ),
            (
                "Download any invoices you need for your records from Settings > Billing > Invoices.",
                "Export your data from Settings > Data > Export if you might want it later.",
                "Confirm here that you'd like us to refund {invoice_ref} and cancel the subscription.",
            ),
        ),
        closing=(
            "Once the refund is issued you'll get a credit note by e-mail, and the money should arrive "
            "within 5-10 business days.",
            "Your data stays available for 90 days after cancellation, so you can still come back to it if "
            "you change your mind.",
            "If anything about the refund looks wrong on your statement, just reply here and I'll check it.",
        ),
        followups=(
            "Thanks. Can the refund go to our new company card instead? The old one is being closed.",
            "Done, I've requested it. How will I know it has actually been processed?",
            "It's been a week and I don't see the money yet. Is that normal?",
            "Could you also refund the month before? We didn't really use it either.",
        ),
        second_replies=(
            "Refunds can only go back to the original payment method; if that card is closed, your card "
            "issuer normally passes the refund on to the replacement card.",
            "You'll receive a credit note by e-mail the moment the refund is issued, and it's listed under "
            "Settings > Billing > Invoices as well.",
            "That's within the usual timing: refunds take 5-10 business days depending on your bank. If "
            "nothing shows after 10 business days, ask your bank and quote the credit note number.",
            "I'm sorry, only the most recent monthly charge can be refunded, and the earlier month is "
            "outside the 14-day window.",
        ),
        internal_notes=(
            "Charge within 14 days, monthly plan. Full refund of {amount} approved, sub cancelled.",
            "Refund {invoice_ref}: if over 500 EUR, route to Refund approval queue for team lead.",
            "Requester confirmed as account owner. Refund to original payment method only.",
        ),
        resolutions=("refund issued", "refund issued, subscription cancelled", "customer withdrew request"),
    ),
    Scenario(
        key="refund-annual-prorated",
        products=("books", "payroll"),
        tags=("billing", "refund"),
        priority="normal",
        subjects=(
            "Annual plan renewed, we want to cancel",
            "Refund for annual renewal {invoice_ref}",
            "Auto-renewal charged {amount}, didn't expect it",
            "Cancelling yearly subscription - partial refund?",
            "How much of the annual fee do we get back?",
        ),
        openings=(
            "Our annual {plan} subscription renewed a couple of weeks ago and we've since decided to move "
            "to another provider. Can we cancel now and get part of the fee back? The invoice is "
            "{invoice_ref}.",
            "Renewal went through for {amount}. We're closing the business at the end of next month. "
            "Refund the rest please.",
            "I'm a bit frustrated: the yearly renewal came out without any warning I noticed, and we had "
            "already agreed internally to stop using {product}. What are our options?",
            "Hi, I'm the finance manager. We renewed our annual plan on the 1st but are merging with a "
            "company that uses a different system. I understand there may be a pro-rated refund. Could you "
            "tell me how it's calculated and what we need to do?",
        ),
        acknowledgements=(
            "Thanks for getting in touch quickly; an annual plan cancelled within 30 days of renewal "
            "qualifies for a pro-rated refund.",
            "Sorry the renewal caught you by surprise. You're still within 30 days of it, so part of the "
            "fee can come back to you.",
            "Happy to explain how this works: we refund the unused whole months of the new term, and the "
            "month you cancel in counts as used.",
        ),
        steps=(
            (
                "Sign in as the account owner and go to Settings > Billing > Invoices.",
                "Open {invoice_ref} and select Request refund.",
                "Then cancel under Settings > Account > Cancel subscription and confirm.",
            ),
            (
                "Export your records from Settings > Data > Export before the account closes.",
                "If you run Payroll, approve any pay runs and tax filings for the current period first.",
                "Reply to confirm you want to cancel; we'll refund the unused whole months to the original "
                "payment method.",
            ),
            (
                "Check the renewal date on {invoice_ref} under Settings > Billing > Invoices.",
                "Count the months of the new term left after the current one; those are what we refund.",
                "Confirm here that you'd like to go ahead and I'll process the cancellation.",
            ),
        ),
        closing=(
            "As an example, a plan renewed on 1 September and cancelled on 12 September gets 11 months back, "
            "because September counts as used.",
            "You'll receive a credit note by e-mail when the refund is issued, and the money arrives within "
            "5-10 business days.",
            "If you have questions about the calculation, reply here and I'll walk you through it.",
        ),
        followups=(
            "Why does the current month count as used? We cancelled on the second day.",
            "OK, go ahead. How long will it take?",
            "Can we keep using it until the end of the month we're in?",
            "Our invoice says {amount}. What exactly will we get back?",
        ),
        second_replies=(
            "Partial months aren't refunded, so the month in which you cancel counts as used even if it's "
            "only a day or two in.",
            "Once issued, the refund reaches your original payment method within 5-10 business days, and "
            "you'll get a credit note by e-mail.",
            "When the refund is issued the account is cancelled, so I'd export what you need first; your "
            "data is then kept for 90 days in case you change your mind.",
            "We divide the annual fee by 12 and refund one twelfth for each whole month left after the "
            "current one.",
        ),
        internal_notes=(
            "Annual, within 30 days of renewal. Current month counted as used. Calc added to ticket.",
            "Pro-rated refund from {amount}; above 500 EUR so assigned to Refund approval queue.",
            "Owner confirmed by reply from verified address. Cancel on refund issue.",
        ),
        resolutions=("pro-rated refund issued", "sent to team lead for approval", "customer kept the plan"),
    ),
    Scenario(
        key="refund-outside-window",
        products=("invoicing", "books"),
        tags=("billing", "refund"),
        priority="low",
        subjects=(
            "Refund for last month?",
            "Forgot to cancel - can I get a refund",
            "Charged for months we didn't use",
            "Request refund {invoice_ref}",
            "Please refund our subscription",
        ),
        openings=(
            "Hello, I've just noticed we've been paying for {product} for the last two months without "
            "using it. Could you refund those charges? I know it's my fault for not cancelling.",
            "Refund {invoice_ref} please. We stopped using the software weeks ago.",
            "This is ridiculous. You keep taking {amount} from our account and nobody here even logs in "
            "any more. I want it back.",
            "Our annual plan renewed about two months ago. Our situation has changed and we'd like to stop. "
            "Is a partial refund possible at this point, or are we tied in until the end of the year?",
        ),
        acknowledgements=(
            "Thanks for explaining, and I'm sorry to hear {product} hasn't been getting used.",
            "I understand it's frustrating to see charges for something you're not using, and I've looked "
            "into it carefully.",
            "I've checked the charge on {invoice_ref}, and unfortunately it falls outside our refund window.",
        ),
        steps=(
            (
                "Go to Settings > Account > Cancel subscription as the account owner and confirm.",
                "Keep using the account as normal until the end of the term you've paid for.",
                "Export anything you want to keep from Settings > Data > Export before access ends.",
            ),
            (
                "Check the end date of your current term in the cancellation confirmation e-mail.",
                "Download the invoices you need from Settings > Billing > Invoices.",
                "Revoke API keys and remove webhook endpoints if other systems still depend on them.",
            ),
        ),
        closing=(
            "Monthly charges can be refunded within 14 days and annual renewals within 30 days; after that "
            "the plan simply runs to the end of the paid term with no further charges once you cancel.",
            "If you cancel today you keep full access until the end of the paid term, and nothing more will "
            "be charged after that.",
            "If there's anything I can do to help you wind down, just let me know.",
        ),
        followups=(
            "So that's it? No refund at all?",
            "Fine, I've cancelled. Will you take another payment next month?",
            "Can you make an exception? It's a small business and every euro counts.",
            "What happens to our data once the term ends?",
        ),
        second_replies=(
            "I'm sorry, I can't refund this charge because it's outside the window, but you do keep full "
            "access until the end of the term you've paid for.",
            "No, once cancelled there are no further charges; the plan ends on the date in your "
            "confirmation e-mail.",
            "I understand, and I'm sorry I can't offer more. The best I can do is make sure nothing further "
            "is charged and that you keep access until the term ends.",
            "After access ends we keep your data for 90 days, so you can still reactivate; after that it's "
            "deleted, apart from our invoices, which we must keep for 7 years.",
        ),
        internal_notes=(
            "Charge outside refund window. Declined per policy, cancellation at end of term explained.",
            "Customer asked for exception. Not offered; exceptions need team lead approval anyway.",
            "Cancelled by owner, term ends as invoiced. No refund.",
        ),
        resolutions=("refund declined, plan runs to end of term", "subscription cancelled at end of term"),
    ),
    Scenario(
        key="payment-failed-card-expired",
        products=("invoicing", "books"),
        tags=("billing", "payment"),
        priority="normal",
        subjects=(
            "Payment failed - card expired",
            "Got an e-mail saying your payment didn't go through",
            "How do I update my card?",
            "Red banner about unpaid invoice {invoice_ref}",
            "Payment declined again",
        ),
        openings=(
            "Hello, I received an e-mail saying the payment for invoice {invoice_ref} failed. I think our "
            "company card expired last month. How do I put the new one in?",
            "Card expired. Where do I change it?",
            "I've now had two e-mails telling me the payment failed and there's a banner in the app every "
            "time I log in. The bank says nothing is wrong on their side. What's going on?",
            "We use {product} for all our invoicing, so I'm a little worried by the failed payment notice. "
            "Will anything stop working? The bank replaced our card after a fraud alert and I suspect that "
            "is the reason. I'd like to settle the {amount} today.",
        ),
        acknowledgements=(
            "Thanks for flagging this; an expired or replaced card is the most common reason a charge "
            "fails, and it's quick to fix.",
            "Nothing has been switched off, so there's no need to worry: your account keeps working while "
            "we sort out the payment.",
            "I can see the charge for {invoice_ref} didn't go through, and the card on file has expired.",
        ),
        steps=(
            (
                "Sign in as the account owner or a billing admin.",
                "Go to Settings > Billing > Payment method and select Replace to add the new card.",
                "Open Settings > Billing > Invoices, select {invoice_ref} and choose Pay now.",
            ),
            (
                "Add the replacement card under Settings > Billing > Payment method > Replace.",
                "Pay the open invoice straight away with Pay now under Settings > Billing > Invoices, rather "
                "than waiting for the next automatic retry.",
                "Check that the banner in the app has gone once the payment succeeds.",
            ),
            (
                "If the card hasn't changed, call your bank and ask whether they blocked the charge as "
                "unusual or a spending limit was reached.",
                "Once the bank clears it, pay {invoice_ref} with Pay now under Settings > Billing > "
                "Invoices.",
            ),
        ),
        closing=(
            "We retry a failed payment 3 times over 7 days, and the account only becomes read-only after "
            "14 days unpaid, so you have time, but it's best to settle it now.",
            "The new card will be used for all future charges as well, so you won't need to do anything "
            "else.",
            "If the payment still fails after updating the card, reply here with the error you see and "
            "I'll look into it.",
        ),
        followups=(
            "Updated the card and paid. The banner is gone. Thanks!",
            "I paid but now I'm worried the automatic retry will charge me a second time.",
            "The Pay now button isn't there for me.",
            "What happens if I can't pay until next week?",
        ),
        second_replies=(
            "Glad that's sorted. Nothing more is needed from you, and future charges will use the new card.",
            "Once an invoice is paid there are no more retries for it. In the unlikely event of a double "
            "payment, the extra amount goes back to the original payment method within 5-10 business days.",
            "Billing pages are only visible to the account owner and billing admins, so the account owner "
            "may need to sign in or give you the billing admin role.",
            "The account keeps working normally until 14 days after the failed charge; after that it becomes "
            "read-only until the balance is paid, and nothing is deleted.",
        ),
        internal_notes=(
            "Card on file expired. Customer updating payment method. No action needed from us.",
            "Failed charge on {invoice_ref}, retry 2 of 3 pending. Sent self-serve steps.",
            "Bank decline, not expiry. Advised customer to call bank, then Pay now.",
        ),
        resolutions=("payment method updated", "invoice paid", "customer contacting bank"),
    ),
    Scenario(
        key="account-suspended-unpaid",
        products=("books", "payroll", "invoicing"),
        tags=("billing", "account", "payment"),
        priority="high",
        subjects=(
            "Account is read-only, can't create invoices",
            "URGENT: account suspended",
            "Why is our account locked?",
            "Need to reactivate account today",
            "Suspended - we have payroll on Friday",
        ),
        openings=(
            "Our account has gone read-only and I can't record anything. I see an unpaid invoice "
            "{invoice_ref} for {amount}, which I honestly missed because the e-mails went to a colleague "
            "who has left. How do I get back to normal as fast as possible?",
            "Account suspended. Need it back now. We pay staff this week.",
            "I can't believe you locked us out of our own books without a phone call. We've been customers "
            "for years. Unlock it immediately.",
            "Hello, the app says our account is suspended. I've found the overdue invoice and I'm ready to "
            "pay it, but I want to make sure our pay run isn't affected. Can you tell me what to do and how "
            "long reactivation takes?",
        ),
        acknowledgements=(
            "I'm sorry for the stress this is causing; the good news is that nothing has been deleted and "
            "paying the balance brings the account back within minutes.",
            "I understand the timing is tight with payroll coming up, so here is the quickest route back.",
            "Your account became read-only because {invoice_ref} has been unpaid for more than 14 days, "
            "and all your data is still there.",
        ),
        steps=(
            (
                "Sign in as the account owner or a billing admin.",
                "If the card has expired or changed, update it under Settings > Billing > Payment method.",
                "Open Settings > Billing > Invoices and choose Pay now on every overdue invoice, since the "
                "full outstanding balance must be paid.",
                "Refresh the app after a few minutes to check that editing is available again.",
            ),
            (
                "Pay {invoice_ref} with Pay now under Settings > Billing > Invoices.",
                "Add a billing contact who reads their e-mail under Settings > Billing > Billing contacts, "
                "so payment reminders reach the right person.",
                "Approve your pay run as soon as the account is active, at least 2 business days before pay "
                "day.",
            ),
        ),
        closing=(
            "If the account is still read-only 30 minutes after a successful payment, reply with the "
            "payment confirmation and I'll check it right away.",
            "Please don't make a second payment while you wait; reactivation is normally automatic within "
            "minutes.",
            "I'll keep an eye on this ticket until you confirm everything is working again.",
        ),
        followups=(
            "Paid it, and we're back. Thank you for the quick answer.",
            "I paid 40 minutes ago and it's still read-only.",
            "Can I at least export a report while it's suspended?",
            "Will the payroll filing that was due go out automatically now?",
        ),
        second_replies=(
            "Great to hear. Adding an up-to-date billing contact should stop this happening again.",
            "Thanks for the update; please send me the payment confirmation from your bank and I'll check "
            "why reactivation hasn't gone through.",
            "Yes, a suspended account is read-only, so you can still sign in, run reports and export data "
            "from Settings > Data > Export.",
            "Scheduled jobs were paused during the suspension, so please check and approve any pending pay "
            "run or filing now; filings are submitted on approval.",
        ),
        internal_notes=(
            "Suspended: {invoice_ref} unpaid over 14 days. Self-serve reactivation steps sent.",
            "Payroll customer, pay day close. Paid at 10:40, account active again. Monitor.",
            "Paid but still suspended after 30 min. Asked for bank confirmation, checking billing record.",
        ),
        resolutions=("balance paid, account reactivated", "payment confirmation requested"),
    ),
    Scenario(
        key="invoice-copy-vat-number",
        products=("books", "invoicing"),
        tags=("billing",),
        priority="low",
        subjects=(
            "Need a copy of invoice {invoice_ref}",
            "VAT number missing from our invoice",
            "Invoice shows wrong company details",
            "Can invoices go to our accountant?",
            "Reverse charge not applied",
        ),
        openings=(
            "Hello, our accountant needs a PDF of invoice {invoice_ref} for the quarterly return. Where can "
            "I download it?",
            "Our VAT number isn't on the invoice. Please fix.",
            "We're a registered business in the Netherlands and you've been charging us VAT for months. "
            "Our accountant says the invoices should show our VAT number and reverse charge. This needs to "
            "be corrected, including the past invoices.",
            "Could you send future invoices directly to our bookkeeper as well as to me? And I need a copy "
            "of the one from {date}, which I seem to have deleted.",
        ),
        acknowledgements=(
            "Thanks for getting in touch; invoices are easy to download yourself, and I can help with the "
            "VAT number too.",
            "Sorry about the missing VAT number. Once it's saved on the account it appears on every invoice "
            "from the next one on.",
            "I've found {invoice_ref} on your account, and it can be downloaded at any time.",
        ),
        steps=(
            (
                "Go to Settings > Billing > Invoices.",
                "Select {invoice_ref} and choose Download PDF.",
                "Add your accountant's e-mail under Settings > Billing > Billing contacts; up to 5 billing "
                "contacts receive a copy of each invoice.",
            ),
            (
                "Go to Settings > Billing > Tax details.",
                "Enter the VAT number with its country prefix, for example NL or DE.",
                "Select Save; EU numbers are validated automatically, while UK and Swiss numbers are "
                "reviewed by our billing team.",
                "Check that the billing address under Settings > Billing > Billing details is correct, as "
                "VAT is charged according to your country.",
            ),
        ),
        closing=(
            "A new VAT number applies from the next invoice; for invoices from the last 3 months we can "
            "issue a credit note and a corrected invoice where tax rules allow, so just send me the numbers.",
            "Only the account owner and billing admins can see billing pages, so let me know if someone "
            "else needs access.",
            "If anything else on an invoice needs changing, reply with the invoice number and I'll sort it.",
        ),
        followups=(
            "Found it, thanks. That was easy.",
            "I've saved the VAT number. Can you correct {invoice_ref} as well?",
            "Can you just edit the old invoice instead of issuing a new one?",
            "What about the invoices from last year?",
        ),
        second_replies=(
            "You're welcome. Your accountant will now get each new invoice automatically as well.",
            "Yes, I'll issue a credit note for {invoice_ref} and a corrected invoice with a new number; both "
            "will arrive by e-mail and appear under Settings > Billing > Invoices.",
            "Issued invoices can't be edited; the original is cancelled by a credit note and replaced by a "
            "corrected invoice with a new number.",
            "We can only correct invoices from the last 3 months, so older invoices stay as issued.",
        ),
        internal_notes=(
            "VAT number added by customer today. Corrected invoice + credit note for {invoice_ref}.",
            "Copy request only, customer pointed to Download PDF.",
            "Swiss VAT number entered: format check passed, billing team review pending.",
        ),
        resolutions=("invoice copy provided", "corrected invoice issued", "VAT number added"),
    ),
    Scenario(
        key="plan-upgrade",
        products=("books", "insights"),
        tags=("plan", "billing"),
        priority="low",
        subjects=(
            "Upgrade from {plan}",
            "How do we add more users?",
            "Want to move to Growth",
            "Interested in Enterprise for SSO",
            "Cost of upgrading mid-month?",
        ),
        openings=(
            "Hello, we're on Starter and have just hired two more people, so we'll go over the 3-user "
            "limit. What's the easiest way to upgrade, and will we be charged for the whole month again?",
            "Want to upgrade today. How?",
            "Our auditors are asking for a data processing agreement and I've read that's not available on "
            "our current plan. We'd like to upgrade if that's what it takes. How quickly does it happen?",
            "We've grown to about 30 staff using {product} and IT wants single sign-on. Could you tell me "
            "what moving to Enterprise involves and how billing changes?",
        ),
        acknowledgements=(
            "Congratulations on the growth, and thanks for thinking of upgrading.",
            "Upgrades take effect immediately, so the extra users and features are available the moment "
            "you confirm.",
            "Happy to help; you only pay the difference for the rest of the current billing period.",
        ),
        steps=(
            (
                "Sign in as the account owner or a billing admin.",
                "Go to Settings > Plan > Change plan and choose the new plan.",
                "Review the pro-rated amount shown and confirm.",
                "Invite the new colleagues under Settings > Users.",
            ),
            (
                "Open Settings > Plan > Change plan and select Growth, which allows up to 25 users.",
                "Confirm the upgrade; the pro-rated invoice is issued the same day.",
                "Request the data processing agreement under Settings > Data > Data processing agreement "
                "and select Request DPA.",
            ),
        ),
        closing=(
            "You'll receive an invoice for the pro-rated amount on the day of the upgrade, and the regular "
            "charge for the new plan follows on the next billing date.",
            "Growth includes up to 25 users and chat support with a first response within 4 business hours, "
            "while Enterprise adds unlimited users, SSO (SAML) and a dedicated account manager.",
            "If you'd like to talk through Enterprise before deciding, reply here and I'll arrange it.",
        ),
        followups=(
            "Done, that was quick. Thanks!",
            "Will our data and settings stay the same after upgrading?",
            "Can we go back down later if it doesn't work out?",
            "The pro-rated invoice says {amount}. Is that right?",
        ),
        second_replies=(
            "Glad it went smoothly; the new user limit is already active.",
            "Yes, everything stays exactly as it is; the upgrade only adds capacity and features.",
            "You can downgrade at any time; it takes effect at the end of the billing period, and you'd "
            "need to be within the smaller plan's user limit by then.",
            "That's the difference between the two plans for the days left in the current period, charged "
            "on the day of the upgrade.",
        ),
        internal_notes=(
            "Starter to Growth upgrade, self-serve. DPA requested after upgrade.",
            "Enterprise interest (SSO). Passed lead to account team.",
            "Customer queried pro-rated charge {amount}; matches upgrade calc.",
        ),
        resolutions=("plan upgraded", "upgrade information sent", "passed to sales"),
    ),
    Scenario(
        key="plan-downgrade-too-many-users",
        products=("books", "payroll"),
        tags=("plan", "billing", "account"),
        priority="normal",
        subjects=(
            "Can't downgrade - too many users",
            "Downgrade to Starter failing",
            "Why won't it let me change plan?",
            "Reduce our plan from next month",
            "Downgrade error: active users",
        ),
        openings=(
            "I'm trying to downgrade to Starter to save money, but Change plan says we have too many active "
            "users. We only have three people using it day to day. What am I missing?",
            "Downgrade won't go through. Error about users. Fix it please.",
            "We've reduced our team over the past year and I'd like our plan to reflect that. Could you "
            "please downgrade us from {plan}? I tried myself and got a message about user numbers.",
            "Honestly, I shouldn't have to jump through hoops to pay you less. Just move us to the cheaper "
            "plan from the start of next month.",
        ),
        acknowledgements=(
            "Thanks for explaining; the message appears because the account still has more active users "
            "than the new plan allows.",
            "I understand the frustration. The downgrade only needs a little tidying of user accounts "
            "first, and then it will go through.",
            "Happy to help with this: Starter allows up to 3 users and Growth up to 25, and the count "
            "includes every active user, even people who rarely sign in.",
        ),
        steps=(
            (
                "Go to Settings > Users and check who is listed as active.",
                "Select each user who no longer needs access and deactivate them until you're within the new "
                "plan's limit.",
                "Open Settings > Plan > Change plan, choose the smaller plan and confirm.",
            ),
            (
                "Ask former colleagues' managers whether anyone still needs their data, and export it from "
                "Settings > Data > Export if so.",
                "Deactivate the extra users under Settings > Users.",
                "Request the downgrade again under Settings > Plan > Change plan.",
            ),
        ),
        closing=(
            "The downgrade takes effect at the end of the current billing period, so you keep the current "
            "plan until then and the lower price starts with the next invoice.",
            "Deactivated users can't sign in, but their past work stays in the account.",
            "If the message still appears after deactivating users, send me a screenshot and I'll take a "
            "look.",
        ),
        followups=(
            "Worked after removing two old accounts. Thanks.",
            "Will we get a refund for the rest of this month since we're paying for the bigger plan?",
            "Can you deactivate the users for me?",
            "What if we need to add someone back later?",
        ),
        second_replies=(
            "Great. The new plan starts at the end of the current billing period, and you'll see the lower "
            "amount on the next invoice.",
            "Downgrades don't create a refund; you keep the current plan until the end of the period you've "
            "paid for, and the lower price applies from then.",
            "It's best done by the account owner or an admin under Settings > Users, so you stay in control "
            "of who keeps access.",
            "You can reactivate a user at any time as long as you stay within the plan's limit, or upgrade "
            "again if you need more seats.",
        ),
        internal_notes=(
            "Downgrade blocked by active user count. Customer to deactivate users first.",
            "Growth to Starter: 5 active users, limit 3. Explained, no action on our side.",
            "Asked for refund on downgrade: none, takes effect at period end.",
        ),
        resolutions=(
            "downgrade scheduled",
            "users deactivated, downgrade scheduled",
            "customer stayed on plan",
        ),
    ),
    Scenario(
        key="cancel-account-data-retention",
        products=("books", "invoicing", "payroll"),
        tags=("account", "privacy"),
        priority="normal",
        subjects=(
            "How do I cancel our account?",
            "Closing the business - cancel subscription",
            "What happens to our data if we cancel?",
            "Cancel and delete everything",
            "Leaving Quillfeather",
        ),
        openings=(
            "We're closing the business at the end of the quarter and need to cancel {product}. What "
            "happens to our records afterwards? We'll need them for the tax office.",
            "Cancel our account please. How long do you keep our data?",
            "We've decided to move to another provider. Before I press cancel, I want to be sure we won't "
            "lose anything we need later, and that nothing lingers on your servers for ever.",
            "I'm the owner. Close the account today and delete all our data immediately.",
        ),
        acknowledgements=(
            "Sorry to see you go, and thanks for checking before cancelling; a few minutes of preparation "
            "now saves trouble later.",
            "Of course; only the account owner can cancel, and I'll explain exactly what happens to your "
            "data.",
            "Thanks for letting us know. Your data is kept for 90 days after access ends and then deleted "
            "permanently.",
        ),
        steps=(
            (
                "Export everything you want to keep from Settings > Data > Export.",
                "Download your Quillfeather invoices from Settings > Billing > Invoices.",
                "Approve any pay runs and tax filings for the current period if you use Payroll.",
                "Go to Settings > Account > Cancel subscription, choose a reason and confirm.",
            ),
            (
                "Revoke API keys and remove webhook endpoints that other systems rely on.",
                "Export your data from Settings > Data > Export and check the file opens.",
                "Cancel under Settings > Account > Cancel subscription as the account owner.",
            ),
        ),
        closing=(
            "You'll get a confirmation e-mail with the date your access ends; for 90 days after that the "
            "account can still be reactivated with all its data.",
            "After 90 days everything is deleted and can't be restored, except our invoices to you, which "
            "we must keep for 7 years by law.",
            "If you'd like the data erased sooner, send an erasure request and it will be completed within "
            "30 days.",
        ),
        followups=(
            "Can you keep our data for longer than 90 days? We might need it for an audit.",
            "Cancelled. Do I still have access until the end of the month?",
            "How do I send an erasure request?",
            "Does cancelling also cancel the warranty on our card reader?",
        ),
        second_replies=(
            "I'm sorry, the 90-day period can't be extended, so please keep a full export from Settings > "
            "Data > Export for any audit.",
            "Yes, outside the refund window your plan runs to the end of the paid term, and you keep full "
            "access until then.",
            "E-mail privacy@quillfeather.example from the account's e-mail address or use Settings > Data > "
            "Privacy requests; it's completed within 30 days, except records we must keep by law.",
            "No, hardware warranties and any open hardware returns are not affected by cancelling the "
            "software subscription.",
        ),
        internal_notes=(
            "Owner cancelling, business closing. Export + 90-day retention explained.",
            "Customer wants immediate deletion: pointed to erasure request (30 days, invoices kept 7 yrs).",
            "Asked to extend retention for audit. Not possible, advised full export.",
        ),
        resolutions=("subscription cancelled", "cancellation information sent", "erasure request logged"),
    ),
    Scenario(
        key="reactivate-cancelled-account",
        products=("books", "invoicing"),
        tags=("account", "billing"),
        priority="normal",
        subjects=(
            "Want to reactivate our cancelled account",
            "Cancelled by mistake - can we undo it?",
            "Coming back to Quillfeather",
            "Is our old data still there?",
            "Restore account after cancellation",
        ),
        openings=(
            "Hello, we cancelled {product} about six weeks ago, but the replacement system hasn't worked out. "
            "Can we come back and still have all our old records?",
            "Cancelled by accident yesterday. Undo please.",
            "Our previous office manager cancelled the subscription without telling anyone and now we "
            "can't sign in. We need our invoices and customer list back urgently. What can be done?",
            "We closed our account last year when business was slow. We're starting up again and would "
            "love to pick up where we left off. Is that possible?",
        ),
        acknowledgements=(
            "Welcome back! If the account was cancelled within the last 90 days, it can be reactivated with "
            "all its data.",
            "No harm done: a cancelled account keeps everything for 90 days, so you can simply switch it "
            "back on.",
            "Thanks for getting in touch; let me explain how reactivation works and what depends on when "
            "access ended.",
        ),
        steps=(
            (
                "Go to app.quillfeather.example and sign in with the account owner's e-mail address.",
                "Select Reactivate account.",
                "Choose a plan, confirm the payment method and finish.",
                "Re-authorise your bank feeds in Books if they ask for it.",
            ),
            (
                "Ask the account owner to sign in at app.quillfeather.example, as only they can reactivate.",
                "Select Reactivate account, choose the plan and confirm payment.",
                "Let your colleagues know they can sign in again once the account is active.",
            ),
            (
                "If it's been more than 90 days, create a new account at app.quillfeather.example.",
                "Import contacts, products and opening balances from the export you kept.",
            ),
        ),
        closing=(
            "Billing starts again on the day of reactivation, and all users, settings and connections are "
            "restored.",
            "If access ended more than 90 days ago the data has been deleted and a new account is needed, "
            "but an export you kept can be imported to get you started.",
            "If the Reactivate account option doesn't appear, reply here and I'll check the account's status.",
        ),
        followups=(
            "It worked and everything's back. Brilliant.",
            "The owner who cancelled has left the company. Can I reactivate it myself?",
            "We cancelled about four months ago. Is there really nothing left?",
            "Will we be charged for the months we were away?",
        ),
        second_replies=(
            "Wonderful, welcome back. If bank feeds show a warning, re-authorising them with your bank "
            "clears it.",
            "We can transfer ownership, but please write to us from a verified address of the business and "
            "we'll ask for proof that you're entitled to act for it.",
            "I'm sorry, after 90 days the account data is permanently deleted and can't be restored; a new "
            "account is needed, and you can import from any export you kept.",
            "No, billing simply restarts on the day you reactivate; there's nothing to pay for the time the "
            "account was cancelled.",
        ),
        internal_notes=(
            "Cancelled 40 days ago, within 90. Self-serve reactivation steps sent.",
            "Owner left business. Ownership transfer needs proof of entitlement before reactivation.",
            "Cancelled over 90 days ago, data deleted. New account advised.",
        ),
        resolutions=("account reactivated", "new account required", "ownership transfer in progress"),
    ),
    Scenario(
        key="password-reset-link-expired",
        products=("books", "mobile"),
        tags=("account", "security"),
        priority="normal",
        subjects=(
            "Password reset link doesn't work",
            "Reset link expired",
            "Can't log in - reset e-mail says link is invalid",
            "Locked out of {product}",
            "Forgot password, link not working",
        ),
        openings=(
            "I requested a password reset this morning but only opened the e-mail after lunch, and now the "
            "page says the link has expired. How do I get a new one?",
            "Reset link invalid. Can't sign in.",
            "This is the third reset e-mail I've tried and none of them work. I have invoices to send today "
            "and I'm stuck at the sign-in screen. Please just reset it for me.",
            "Hello, I clicked Forgot password on the app and got an e-mail, but when I tap the link on my "
            "phone it says expired or invalid. Do I need to do it from a computer?",
        ),
        acknowledgements=(
            "Sorry you're locked out; reset links are only valid for 1 hour, which is the usual reason for "
            "that message.",
            "I understand you need to get in today, so here's the quickest way to set a new password.",
            "Thanks for the details. When several reset e-mails are requested, only the newest link works, "
            "and each one expires after 1 hour.",
        ),
        steps=(
            (
                "On the sign-in page, select Forgot password and enter your e-mail address.",
                "Open the newest reset e-mail within 1 hour and ignore any older ones.",
                "Choose a new password and sign in with it.",
            ),
            (
                "Close any open reset pages in your browser.",
                "Request one fresh link with Forgot password on the sign-in page.",
                "If the e-mail doesn't arrive within a few minutes, check your spam or junk folder.",
                "Use the link straight away, on any device, and set your new password.",
            ),
        ),
        closing=(
            "For your security we can't set a password for you, but a fresh link used within the hour "
            "will work.",
            "If two-factor authentication is switched on, you'll still be asked for your code after the new "
            "password.",
            "If the new link also fails, reply with the exact message you see and I'll investigate.",
        ),
        followups=(
            "Got in with the new link, thanks.",
            "The e-mail isn't arriving at all now.",
            "It worked, but now it's asking for a 2FA code and I've lost my phone.",
            "Can you make the link last longer? I don't always see e-mails within an hour.",
        ),
        second_replies=(
            "Great to hear you're back in.",
            "Please check spam and any company mail filters, and make sure you're using the exact address "
            "you sign in with; I can confirm the address on the account if you reply from it.",
            "That needs a separate 2FA reset: try one of your recovery codes first, and if you have none "
            "left, we'll verify your identity before resetting it.",
            "The 1-hour limit is a security measure and can't be extended, but you can request a new link "
            "whenever you're ready to use it.",
        ),
        internal_notes=(
            "Expired reset link (1h). Customer requested new one, signed in.",
            "Multiple reset requests, only newest valid. Explained.",
            "Reset mail not arriving; checked address on account, asked customer to check spam/filters.",
        ),
        resolutions=("customer signed in", "new reset link used", "moved to 2FA reset"),
    ),
    Scenario(
        key="two-factor-reset-lost-phone",
        products=("books", "mobile"),
        tags=("account", "security"),
        priority="high",
        subjects=(
            "Lost my phone - can't get 2FA code",
            "Need 2FA reset urgently",
            "Authenticator app gone after phone was stolen",
            "Locked out by two-factor authentication",
            "New phone, no codes, can't sign in",
        ),
        openings=(
            "My phone was stolen over the weekend and my authenticator app was on it. I'm the account owner "
            "and can't sign in to {product}. What do I need to do to reset two-factor authentication?",
            "Lost phone. No 2FA. Need access today.",
            "I'm calling because I can't get into our account and I have payroll to approve. Just turn off "
            "the two-factor thing for now and I'll set it up again later. I can give you my date of birth "
            "and address.",
            "I switched to a new phone and didn't realise the authenticator app wouldn't move across. I "
            "have my password but no recovery codes that I can find. I'm not the owner; is there anything "
            "I can do myself?",
        ),
        acknowledgements=(
            "I'm sorry about your phone, and I'll help you get back in as quickly as our security checks "
            "allow.",
            "I understand this is urgent. To protect your account we can't switch off 2FA from a phone call "
            "or chat alone, but the verification is quick once you reply to our e-mail.",
            "Thanks for reaching out. There are a couple of ways back in, and the fastest depends on whether "
            "you're the account owner.",
        ),
        steps=(
            (
                "On the sign-in screen, select Use a recovery code and enter one of the codes you saved when "
                "setting up 2FA.",
                "If you have none left, reply to the verification e-mail we've sent to the account owner's "
                "verified address.",
                "Include either the last 4 digits of the card on file or the number of a recent Quillfeather "
                "invoice.",
                "Once reset, sign in and set up 2FA again straight away, then store the new recovery codes "
                "safely.",
            ),
            (
                "Ask an admin in your organisation to open Settings > Users, select your name and choose "
                "Reset two-factor authentication.",
                "Sign in with your password and set up 2FA on your new phone.",
                "Save the new recovery codes somewhere other than your phone.",
            ),
            (
                "If your authenticator app supports cloud backup, restore it from backup on the new phone "
                "first.",
                "Otherwise reply from the verified e-mail address with the last 4 card digits or a recent "
                "invoice number.",
            ),
        ),
        closing=(
            "Once both parts of the verification are checked, the reset is completed within 1 business day.",
            "If you no longer have access to the verified mailbox, please restore it first, for example "
            "through your IT team, as we can't accept details from another address.",
            "I'll update this ticket as soon as the reset is done so you can sign in and set up 2FA again.",
        ),
        followups=(
            "I've replied to your e-mail with the last four digits of the card.",
            "Why can't you just do it now on the phone? It's my own account.",
            "I replied from my personal Gmail because I can't get into my work mail. Is that OK?",
            "Our company uses single sign-on. Does that change anything?",
        ),
        second_replies=(
            "Thank you, that completes the verification; the reset will be done within 1 business day and "
            "I'll let you know here when you can sign in.",
            "I understand the frustration, but we never disable 2FA because of a call or chat alone; that "
            "rule is what stops someone else pretending to be you.",
            "I'm sorry, we can only accept the reply from the verified e-mail address on the account, so "
            "please restore access to your work mailbox first.",
            "Yes: for SSO users 2FA is managed by your identity provider, so your own IT team needs to reset "
            "it rather than us.",
        ),
        internal_notes=(
            "2FA reset, owner. Verification e-mail sent to verified address. Waiting on reply + card/invoice.",
            "Caller asked to disable 2FA by phone. Refused per policy, verification e-mail sent.",
            "Verified: reply from owner address + invoice {invoice_ref}. Reset queued, due within 1 BD.",
        ),
        resolutions=("2FA reset after verification", "reset by organisation admin", "awaiting verification"),
    ),
)
