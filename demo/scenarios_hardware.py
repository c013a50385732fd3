"""Demo ticket scenarios: card readers, terminals, shipping, returns and point of sale."""

from __future__ import annotations

from .scenarios import Scenario

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="reader-bluetooth-pairing",
        products=("reader", "pos", "mobile"),
        tags=("hardware", "pos"),
        priority="normal",
        subjects=(
            "Card reader won't pair with my phone",
            "Q1 reader not showing up in Bluetooth",
            "Pairing keeps failing",
            "Reader connects then drops straight away",
            "Can't add the new card reader to the POS app",
        ),
        openings=(
            "Hello, I unpacked our new {product} this morning and I can't get it to pair with the POS app. "
            "The phone sees it for a second and then it disappears from the list. "
            "We open at nine tomorrow so I'd really like this sorted today.",
            "Reader won't pair. Tried three times. Bluetooth is on.",
            "I've been at this for an hour now. The {product} was working fine last week, then I got a new "
            "phone and it simply refuses to connect. I've switched everything off and on again and nothing "
            "changes. What am I supposed to do?",
            "Our cafe uses two phones at the till. The reader pairs with one of them but not the other, and "
            "when it does pair with the second it drops the connection after a minute. Both phones have the "
            "latest app. Is the reader limited to one phone at a time?",
            "Quick question: the POS app says no reader found, even though the light on the {product} is "
            "blinking blue. Am I missing a step?",
        ),
        acknowledgements=(
            "Sorry the {product} is giving you trouble with pairing; this is almost always fixable in a few "
            "minutes.",
            "Thanks for the clear description, that helps a lot. A failed pairing usually comes down to an "
            "old connection the phone is still holding on to.",
            "I understand you need the reader ready before you open, so let's go straight to the fix.",
        ),
        steps=(
            (
                "Charge the {product} for at least 15 minutes so it has enough power to pair.",
                "On your phone, open the Bluetooth settings and remove (forget) any Q1 entry already listed.",
                "In the POS app, go to Settings > Devices > Add device and choose Q1 Card Reader.",
                "Press and hold the reader's power button until the light blinks blue, then confirm the code "
                "shown in the app.",
            ),
            (
                "Make sure the reader isn't still connected to another phone nearby; switch Bluetooth off on "
                "that phone for now.",
                "Open Settings > Devices in the POS app and remove the reader if it appears there as "
                "disconnected.",
                "Restart your phone, then add the reader again under Settings > Devices > Add device.",
            ),
            (
                "Update the POS app to the latest version from your phone's app store.",
                "Check that the app has permission to use Bluetooth and location in your phone's settings.",
                "Pair the reader again from Settings > Devices > Add device, keeping it within a metre of "
                "the phone.",
            ),
        ),
        closing=(
            "If the light keeps blinking after these steps, reply with your phone model and I'll take it "
            "from there.",
            "Let me know how it goes, and if it still won't pair we'll look at whether the reader itself is "
            "at fault.",
            "I'll keep this ticket open until you confirm the reader is taking payments again.",
        ),
        followups=(
            "That worked, thank you. Removing the old entry on the phone was the trick.",
            "It paired but now the app says the reader needs an update. Is that normal?",
            "Still no luck. The app finds the reader, then says pairing failed.",
            "Can I pair the same reader with both of our phones, or do we need a second one?",
        ),
        second_replies=(
            "Glad it's working. If you ever swap phones again, remove the reader from the old one first and "
            "pairing will go smoothly.",
            "Yes, that's expected after a first pairing; leave the reader on charge and near the phone until "
            "the update finishes, and don't close the app while it runs.",
            "A reader connects to one phone at a time; to switch, disconnect it under Settings > Devices on "
            "the first phone and add it on the second.",
            "Thanks for trying that. Could you send a short video of the reader's light while pairing? If it "
            "points to a fault, we'll arrange a replacement under warranty.",
        ),
        internal_notes=(
            "Classic stale Bluetooth bond. Forget and re-pair fixed it.",
            "Customer on new phone; app lacked Bluetooth permission.",
            "If pairing fails after reset, start warranty troubleshooting.",
        ),
        resolutions=("re-paired after reset", "app permissions fixed", "moved to warranty check"),
    ),
    Scenario(
        key="reader-not-charging-firmware",
        products=("reader",),
        tags=("hardware",),
        priority="normal",
        subjects=(
            "Reader won't charge",
            "Q1 stuck on firmware update",
            "Card reader dead, no lights",
            "Update progress bar frozen at the same point for ages",
            "Battery never gets past a few percent",
        ),
        openings=(
            "My {product} has been plugged in all night and it still won't switch on. No lights at all. "
            "It was fine on Friday.",
            "The reader started an update during lunch service and it has been stuck at the same point for "
            "over an hour. We can't take cards. Please help!",
            "Stuck update. Can I unplug it?",
            "I'm not sure whether this is a charging problem or something else. The charging light comes on "
            "for a few seconds and then goes off, and the battery in the app shows 3%. I'm using the cable "
            "that came in the box with a laptop USB port.",
            "Honestly getting tired of this reader. Every morning it's flat even though it's been on charge, "
            "and today it decided to update itself and froze. This is the second time this month.",
        ),
        acknowledgements=(
            "Sorry you're stuck without card payments; let's get the {product} back up.",
            "Thanks for the detail on the lights and battery level, that narrows things down.",
            "That sounds frustrating, especially when it happens during service. Here's what usually gets a "
            "reader charging or finishing its update.",
        ),
        steps=(
            (
                "Plug the reader into a wall adapter rather than a laptop or till USB port, using the cable "
                "from the box.",
                "Leave it connected for 30 minutes without pressing any buttons.",
                "Hold the power button for 10 seconds to restart it, then check the battery level in "
                "Settings > Devices.",
            ),
            (
                "Keep the reader on charge and within a metre of the phone; an update that loses power or "
                "connection stops where it is.",
                "Open the POS app and go to Settings > Devices, select the reader and choose Retry update.",
                "If nothing changes after 15 minutes, hold the power button for 10 seconds and run the "
                "update again from the same screen.",
            ),
            (
                "Check the charging port for lint or dust and clean it gently with a dry, soft brush.",
                "Try a different USB cable and wall adapter if you have one.",
                "Tell us what the light does when you plug it in: off, solid, or blinking.",
            ),
        ),
        closing=(
            "If it still won't charge or update after this, we'll treat it as a fault and check your "
            "warranty.",
            "Let me know which step changed things, so I can note it on your reader's record.",
            "Reply here with what you see and I'll pick it up straight away.",
        ),
        followups=(
            "The wall adapter did it, it's charging now. Thanks.",
            "Update finished after the restart. All good.",
            "Tried all of that. Still no lights at all.",
            "If it's broken, how quickly can I get a new one? I can't run the shop without it.",
        ),
        second_replies=(
            "Great news. Laptop ports often don't give the reader enough power, so the wall adapter is the "
            "best habit.",
            "Thanks for trying everything. That confirms a fault, so once I've checked the warranty the "
            "replacement ships within 2 business days.",
            "A confirmed fault means a replacement ships within 2 business days, and you'll get the tracking "
            "number by e-mail on dispatch. Warranty is 12 months on Starter and Growth, 24 on Enterprise.",
        ),
        internal_notes=(
            "Charging from laptop port. Advised wall adapter.",
            "Firmware update interrupted; retry from Settings > Devices worked.",
            "No lights after full troubleshooting. Fault confirmed, warranty replacement.",
        ),
        resolutions=("charging restored", "firmware update completed", "replacement shipped"),
    ),
    Scenario(
        key="reader-warranty-replacement",
        products=("reader",),
        tags=("hardware", "warranty"),
        priority="high",
        subjects=(
            "Faulty card reader, need a replacement",
            "Q1 reader stopped reading chip cards",
            "Warranty claim for our reader",
            "Reader broken after four months",
            "Contactless not working on the reader at all",
        ),
        openings=(
            "Our {product} stopped reading chip cards yesterday. Contactless still works most of the time, "
            "but any card inserted gives a read error. It's about five months old.",
            "Reader's broken. Screen flickers and it reboots mid-payment. Need a replacement please.",
            "We bought the reader with order {order_ref} and it has never been reliable. Contactless fails "
            "roughly one time in three and customers are getting annoyed. I'd like it replaced under "
            "warranty, not another round of restarting it.",
            "Hi there, I think our card reader might be faulty. It turns on and pairs, but when a customer "
            "taps their card nothing happens. Could you tell me what the next step is?",
        ),
        acknowledgements=(
            "Sorry the {product} is letting you down at the counter. If it's faulty, it's covered by the "
            "warranty.",
            "Thanks for reporting this. I'll walk you through a quick check so we can confirm the fault and "
            "get a replacement moving.",
            "I understand you want this fixed rather than worked around. A couple of quick checks let me "
            "confirm the fault and send the replacement.",
        ),
        steps=(
            (
                "Restart the reader by holding the power button for 10 seconds.",
                "In the POS app, go to Settings > Devices, select the reader and choose Run diagnostics.",
                "Try a chip payment and a contactless payment with two different cards.",
                "Reply with the diagnostics result and the reader's serial number from the back of the "
                "device.",
            ),
            (
                "Check that the reader's firmware is current under Settings > Devices.",
                "Wipe the card slot and the top of the reader with a dry cloth.",
                "Send us the serial number and the date the reader was delivered so we can check the "
                "warranty.",
            ),
        ),
        closing=(
            "Once the check confirms the fault, the replacement ships within 2 business days.",
            "As soon as I have the diagnostics result I'll confirm the replacement.",
            "Warranty covers 12 months from delivery on Starter and Growth, and 24 months on Enterprise.",
        ),
        followups=(
            "Diagnostics failed on the chip test. Serial number is on the photo attached.",
            "Do I need to send the broken reader back before you ship the new one?",
            "How long is the warranty on the {plan} plan?",
            "It passed the diagnostics, but it still fails with real cards. Now what?",
        ),
        second_replies=(
            "Thanks, that confirms the fault. Your replacement ships within 2 business days and the tracking "
            "number will come by e-mail.",
            "Hardware warranty is 12 months on Starter and Growth and 24 months on Enterprise, counted from "
            "delivery.",
            "We'll e-mail a prepaid label for the faulty reader; you can keep using it until the new one "
            "arrives.",
            "Thanks for testing that. I'll ask our hardware team to review the logs from your reader and "
            "come back to you with the outcome.",
        ),
        internal_notes=(
            "Diagnostics failed on chip read. Within warranty. Replacement raised.",
            "Check delivery date against plan: 12 months Starter/Growth, 24 Enterprise.",
            "Passed diagnostics but customer reports failures; escalated to hardware team.",
        ),
        resolutions=("replacement shipped", "fault not reproduced", "escalated to hardware team"),
    ),
    Scenario(
        key="hardware-return-unused",
        products=("reader", "terminal"),
        tags=("returns", "hardware"),
        priority="low",
        subjects=(
            "Return request for unused reader",
            "We ordered one device too many",
            "How do I send hardware back?",
            "Return order {order_ref}",
            "Changed our mind about the card reader",
        ),
        openings=(
            "We ordered two readers with {order_ref} but only need one. The second is still sealed in its "
            "box. Can we send it back for a refund?",
            "Return please. Never used it, box unopened.",
            "Hello, our shop ended up choosing a different setup and we no longer need the {product} we "
            "bought. It arrived about two weeks ago and hasn't been taken out of the packaging. What's the "
            "process for returning it, and will the full amount of {amount} come back to us?",
            "I was told I could return hardware I don't use. I'd like to do that for the reader on invoice "
            "{invoice_ref}. Nobody here even knows how to set it up, frankly.",
        ),
        acknowledgements=(
            "No problem, unused hardware can come back to us for a full refund.",
            "Thanks for letting us know; returning an unused {product} is straightforward.",
            "Happy to help with the return. There are just two conditions to check first.",
        ),
        steps=(
            (
                "Check that the device arrived no more than 30 days ago; returns are accepted within 30 days "
                "of delivery.",
                "Keep the device unused and in its original packaging, with the cable and paperwork inside.",
                "Reply with your order number so I can e-mail you a prepaid return label.",
                "Print the label, attach it to the outer box and drop the parcel off with the carrier.",
            ),
            (
                "Repack the device in its original packaging, exactly as it arrived.",
                "Wait for the prepaid return label we e-mail you, then attach it to the parcel.",
                "Keep the carrier's drop-off receipt until the refund shows on your statement.",
            ),
        ),
        closing=(
            "Once the parcel reaches us and the device is checked, the full refund goes back to your "
            "original payment method.",
            "I'll send the prepaid label as soon as you confirm the order number.",
            "If anything about the condition is unclear, just ask before you post it.",
        ),
        followups=(
            "Label received, parcel is on its way back.",
            "We opened the box to look at it but never switched it on. Does that still count?",
            "It was delivered 40 days ago, I only just got round to it. Can I still return it?",
            "When will the refund arrive?",
        ),
        second_replies=(
            "Thanks for sending it. We'll confirm by e-mail when the parcel arrives and the refund is "
            "issued.",
            "As long as the device is unused and goes back in its original packaging with everything "
            "included, that's fine.",
            "I'm sorry, returns for a refund are only possible within 30 days of delivery, so I can't accept "
            "this one. If the device ever develops a fault, it's still covered by the warranty.",
            "The refund is issued once the return is checked in, and it goes back to the original payment "
            "method you used for the order.",
        ),
        internal_notes=(
            "Delivered within 30 days, sealed. Prepaid label sent.",
            "Outside 30-day window; return declined, warranty explained.",
            "Check refund amount: over 500 EUR needs team lead approval.",
        ),
        resolutions=("return label sent", "refund issued", "return declined: outside 30 days"),
    ),
    Scenario(
        key="shipping-delay-tracking",
        products=("reader", "terminal"),
        tags=("shipping",),
        priority="normal",
        subjects=(
            "Where is my order?",
            "No tracking number for {order_ref}",
            "Hardware order hasn't arrived",
            "Still waiting for the card reader",
            "Delivery late, any update?",
        ),
        openings=(
            "I ordered a {product} last week with order {order_ref} and haven't had any shipping e-mail yet. "
            "Has it been sent?",
            "Where's my tracking number? Order {order_ref}.",
            "We're opening a new counter on Monday and the reader we ordered still hasn't turned up. The "
            "tracking page hasn't changed in three days. This is cutting it very fine for us.",
            "Good morning. Could you tell me when our hardware order is likely to arrive? I can't find any "
            "tracking information in my inbox and I'd like to plan the installation.",
        ),
        acknowledgements=(
            "Sorry for the wait; let's find out exactly where order {order_ref} is.",
            "Thanks for the order number, that makes it quick to check.",
            "I understand the timing matters with an opening coming up, so here's where things stand.",
        ),
        steps=(
            (
                "Search your inbox, including spam and promotions folders, for the dispatch e-mail; the "
                "tracking number is sent when the order leaves our warehouse.",
                "Check the order status under Settings > Devices > Orders.",
                "Allow up to 2 business days for dispatch, then 3-5 business days for standard delivery.",
            ),
            (
                "Open the tracking link in the dispatch e-mail and check the latest carrier scan.",
                "Make sure the delivery address on the order under Settings > Devices > Orders is complete.",
                "Reply with a photo or copy of the last tracking update if it hasn't moved for 2 business "
                "days.",
            ),
        ),
        closing=(
            "If it turns out the parcel is stuck with the carrier, I'll open a trace for you straight away.",
            "I'll keep an eye on the order and update you if the status changes.",
            "Let me know if the tracking e-mail doesn't turn up and I'll resend it.",
        ),
        followups=(
            "Found the e-mail in spam, it's arriving tomorrow. Sorry!",
            "Tracking has said 'in transit' for four days now.",
            "Can you switch it to express so it gets here faster?",
            "Status still shows not dispatched, and it's been three business days.",
        ),
        second_replies=(
            "No need to apologise, glad it's on its way.",
            "Thanks, I've asked the carrier to trace the parcel and I'll update you as soon as they reply.",
            "Express costs 15 EUR and takes 1-2 business days after dispatch; let me check with the "
            "warehouse whether your order can still be changed before it leaves.",
            "That's past our 2-business-day dispatch time, sorry. I've chased the warehouse and will send "
            "you the tracking number as soon as it ships.",
        ),
        internal_notes=(
            "Dispatch e-mail went to spam. Resent tracking.",
            "No carrier scan for 4 days. Trace opened.",
            "Not dispatched after 2 business days; chased warehouse.",
        ),
        resolutions=("tracking resent", "carrier trace opened", "delivered"),
    ),
    Scenario(
        key="shipping-express-question",
        products=("terminal", "reader"),
        tags=("shipping",),
        priority="low",
        subjects=(
            "Express shipping available?",
            "How fast can you deliver a terminal?",
            "Delivery times and costs",
            "Need the terminal before the weekend",
        ),
        openings=(
            "Do you offer faster delivery? We'd like a {product} as soon as possible.",
            "What does express shipping cost and how long does it take?",
            "We're replacing our old card machine and the contract ends next Friday. If we order the "
            "{product} today, can we have it in time? Happy to pay for faster shipping if that helps.",
            "Your website is a bit vague on delivery. Is standard shipping free, and what exactly do I gain "
            "by paying for express?",
        ),
        acknowledgements=(
            "Good question; here's how our delivery options compare.",
            "Happy to help you plan around that deadline.",
            "Thanks for asking before you order, it makes choosing the right option easy.",
        ),
        steps=(
            (
                "Order the {product} under Settings > Devices > Order hardware.",
                "At checkout, choose Express (1-2 business days, 15 EUR) instead of Standard (3-5 business "
                "days, free).",
                "Allow up to 2 business days for dispatch before delivery starts.",
                "Watch for the dispatch e-mail, which contains your tracking number.",
            ),
            (
                "Count up to 2 business days for the order to leave our warehouse.",
                "Add 1-2 business days for express delivery, or 3-5 business days for free standard "
                "delivery.",
                "Place the order under Settings > Devices > Order hardware and select the delivery option at "
                "checkout.",
            ),
        ),
        closing=(
            "If you let me know your deadline, I can help you work out which option gets there in time.",
            "Any other questions before you order, just reply here.",
            "Your tracking number will arrive by e-mail as soon as the parcel is dispatched.",
        ),
        followups=(
            "So with express, the earliest is about three business days from ordering?",
            "Do you deliver to the UK? We have a second site there.",
            "Ordered with express, thanks.",
        ),
        second_replies=(
            "Yes: dispatch takes up to 2 business days and express delivery 1-2 more, so plan for up to 4 "
            "business days in total.",
            "We do: we ship to the EU, the UK and Switzerland, and the same delivery options apply at "
            "checkout.",
            "Thanks for your order. Look out for the dispatch e-mail with your tracking number.",
        ),
        internal_notes=(
            "Pre-sales question on delivery. Explained dispatch + express times.",
            "Customer has a hard deadline; recommended express.",
        ),
        resolutions=("question answered", "order placed with express"),
    ),
    Scenario(
        key="terminal-printer-jam",
        products=("terminal",),
        tags=("hardware",),
        priority="normal",
        subjects=(
            "Receipt printer jammed",
            "Receipts coming out blank or very faint",
            "Q3 terminal won't print receipts",
            "Paper stuck in the terminal printer",
            "Printing problem on the countertop terminal",
        ),
        openings=(
            "The printer on our {product} has jammed and the paper is crumpled inside. I don't want to break "
            "anything by pulling at it. How do I clear it safely?",
            "Receipts are almost blank. You can just about read the total. New roll, same result.",
            "Printer jammed again. Third time this week.",
            "Since yesterday the receipts from the terminal have been getting fainter and fainter, and now "
            "some customers can't read them at all. We changed the roll this morning with paper from our "
            "usual supplier. Could the printer be failing?",
        ),
        acknowledgements=(
            "Sorry about the printing trouble; jams and faint receipts on the {product} usually clear up "
            "with a couple of simple checks.",
            "Thanks for the detail about the new roll, that's a useful clue.",
            "A jam three times in a week is annoying, so let's find the cause rather than just clear it "
            "again.",
        ),
        steps=(
            (
                "Switch the terminal off and open the printer cover with the release lever.",
                "Lift the roll out and gently remove any torn or crumpled paper, pulling in the direction "
                "the paper normally feeds.",
                "Put the roll back so the paper comes off the bottom of the roll, leave a short strip "
                "outside and close the cover firmly.",
                "Switch the terminal on and print a test from Settings > Devices > Q3 Countertop Terminal > "
                "Print test receipt.",
            ),
            (
                "Check that the roll is thermal paper; ordinary paper prints faintly or not at all.",
                "Turn the roll over if the print side is facing away from the print head.",
                "Wipe the print head under the cover gently with a dry, lint-free cloth.",
                "Print a test receipt from Settings > Devices > Q3 Countertop Terminal > Print test receipt.",
            ),
        ),
        closing=(
            "If the test receipt still comes out faint or jams, send me a photo of it and we'll check for a "
            "fault.",
            "Let me know how the test print looks.",
            "If it turns out to be a printer fault, the terminal is covered by the warranty.",
        ),
        followups=(
            "The roll was in backwards. Feel a bit silly, but it works now.",
            "Cleared the jam, test receipt printed fine. Thanks.",
            "Test receipt is still faint even with a new thermal roll.",
            "It jammed again after twenty receipts.",
        ),
        second_replies=(
            "Not silly at all, it's the most common cause. Glad it's printing again.",
            "Thanks for trying a new roll. That points to the printer itself, so please send the terminal's "
            "serial number and I'll check the warranty and arrange a replacement.",
            "Repeated jams after a clean reload suggest a fault in the paper feed. Send me a photo of the "
            "open printer and the serial number, and once we've confirmed the fault a replacement ships "
            "within 2 business days.",
        ),
        internal_notes=(
            "Roll loaded backwards. Solved by reloading.",
            "Non-thermal paper in use; advised thermal rolls.",
            "Faint print persists with correct paper. Printer fault suspected, warranty check.",
        ),
        resolutions=("roll reloaded", "jam cleared", "replacement shipped"),
    ),
    Scenario(
        key="terminal-all-cards-declined",
        products=("terminal", "pos"),
        tags=("hardware", "pos"),
        priority="high",
        subjects=(
            "Every card declined on the terminal",
            "Q3 terminal declining all payments",
            "URGENT: can't take card payments",
            "Card declined error for every customer",
        ),
        openings=(
            "Since about eleven this morning every single card is declined on our {product}. Visa, "
            "Mastercard, phones, the lot. Customers' cards work fine elsewhere. We're losing sales.",
            "All cards declined. Every one. Please call back.",
            "Our terminal shows 'card declined' for every payment, including my own card which I know is "
            "fine. The reader on my phone still works. Is this a problem on your side or ours?",
            "This is a nightmare. A full shop and the terminal declines everything. I've restarted it "
            "twice. What is going on?",
        ),
        acknowledgements=(
            "I'm sorry, I know how serious this is with customers waiting; let's get the {product} taking "
            "payments again.",
            "Thanks for checking with your own card; that tells us the problem is with the terminal's "
            "connection or setup rather than the cards.",
            "I understand, this needs fixing fast. Here's what to check first.",
        ),
        steps=(
            (
                "Check status.quillfeather.example for any current incident with card payments.",
                "Make sure the terminal is online: Settings > Devices > Q3 Countertop Terminal should show "
                "Connected.",
                "Restart the terminal by holding the power button for 10 seconds, then try a small payment.",
                "If it still declines, reply with the exact error text and the time of the last declined "
                "payment.",
            ),
            (
                "Check the terminal's Wi-Fi or network cable and confirm other devices in the shop are "
                "online.",
                "Check that the date and time on the terminal are correct.",
                "Remove the terminal under Settings > Devices, add it again, and take a test payment.",
            ),
        ),
        closing=(
            "In the meantime, the Q1 Card Reader or another payment method can keep the till going.",
            "I'm watching this ticket and will reply as soon as you send the results.",
            "If more shops report the same thing, we'll treat it as a service incident straight away.",
        ),
        followups=(
            "The network cable had come loose. Payments are going through again.",
            "Status page says all fine, and it's still declining everything.",
            "Can you tell me if the customers were charged for the declined attempts?",
        ),
        second_replies=(
            "Great, glad it was something simple. Thanks for checking so quickly.",
            "Thanks, I've escalated this to our payments engineers with your terminal's details and will "
            "update you as soon as I hear back.",
            "I'll check every declined attempt from today against our payment records and send you a list, "
            "so you know exactly what happened with each one.",
        ),
        internal_notes=(
            "Single merchant, all cards declined: P2. If other merchants report it, raise P1.",
            "Terminal offline; loose network cable. Resolved.",
            "P1 goes to on-call within 15 minutes; Enterprise P1 also informs the account manager.",
        ),
        resolutions=("network connection restored", "escalated to engineering", "terminal re-added"),
    ),
    Scenario(
        key="terminal-delayed-confirmations",
        products=("terminal", "pos"),
        tags=("hardware", "pos"),
        priority="high",
        subjects=(
            "Payments stuck on pending",
            "Terminal takes ages to confirm card payments",
            "Card payment confirmations delayed",
            "Slow payment approval on Q3",
            "Customers waiting minutes for payments to go through",
        ),
        openings=(
            "Payments on our {product} are taking several minutes to confirm, and some show as pending in "
            "the POS for much longer. Customers are standing at the counter waiting. Is something wrong?",
            "Payments pending for 10+ minutes. Is there an outage?",
            "Two customers asked us to run their card again because the terminal just sat there, and now "
            "I'm worried they've been charged twice. Can you check what's happening?",
            "Quick heads-up and a question: since lunchtime our terminal confirms payments very slowly. "
            "Nothing has changed on our side. Should we keep taking cards or switch to cash for now?",
        ),
        acknowledgements=(
            "Thanks for flagging this quickly; slow confirmations are something we take seriously.",
            "I'm sorry for the wait your customers are having. Here's what to do right now.",
            "I understand the worry about double charges, so let's check that first.",
        ),
        steps=(
            (
                "Check status.quillfeather.example for any current incident with Q3 terminal payments.",
                "Don't run a payment again while it shows as pending; wait until it's confirmed or clearly "
                "failed.",
                "Check the terminal's connection under Settings > Devices > Q3 Countertop Terminal.",
                "Reply with the times and amounts of any payments still pending after 20 minutes.",
            ),
            (
                "Restart the terminal by holding the power button for 10 seconds.",
                "Take a small test payment and time how long it takes to confirm.",
                "Send us the order or receipt numbers of any payments that were run twice, so we can check "
                "them.",
            ),
        ),
        closing=(
            "I'll check the pending payments on our side and update you as soon as I know more.",
            "If this turns out to affect other shops too, we'll post updates on the status page.",
            "Please keep this ticket open so I can confirm each payment with you.",
        ),
        followups=(
            "Confirmations are back to normal now. Did we lose any payments?",
            "Here are the times of the two payments we ran twice.",
            "Still slow after the restart.",
        ),
        second_replies=(
            "Thanks for sending those. I'll check both against our payment records and confirm whether any "
            "second charge needs reversing.",
            "I've raised this with our engineers as a priority and will update you here as soon as they "
            "report back.",
            "Glad it's back to normal. I'm checking every payment that was pending today and will confirm "
            "each one to you.",
        ),
        internal_notes=(
            "Delayed confirmations on Q3. Check status page and other reports before escalating.",
            "Several merchants affected: raise P1, on-call within 15 minutes.",
            "Customer re-ran 2 payments while pending; check for duplicates.",
        ),
        resolutions=("confirmations back to normal", "duplicate charge checked", "escalated as incident"),
    ),
    Scenario(
        key="pos-offline-mode",
        products=("pos", "terminal", "reader"),
        tags=("pos",),
        priority="normal",
        subjects=(
            "What happens to sales when the internet drops?",
            "POS offline, are my sales saved?",
            "Offline sales not showing up",
            "Wi-Fi went down during service",
            "Question about offline mode",
        ),
        openings=(
            "Our Wi-Fi went down for about an hour this afternoon and the POS kept working, but the sales "
            "from that hour aren't in today's report. Have we lost them?",
            "Internet is down. Can I keep selling on {product}?",
            "We're opening a market stall where the signal is patchy. Before we commit, I'd like to "
            "understand how {product} behaves offline: does it store sales, and how do they get back into "
            "the system afterwards?",
            "The app shows a little cloud with a line through it and a number next to it that keeps going "
            "up. Staff are nervous about carrying on. What does it mean?",
        ),
        acknowledgements=(
            "Good news first: {product} keeps working offline and queues your sales on the device.",
            "Thanks for asking before it becomes a problem; offline mode is built for exactly this.",
            "That icon means the app is offline and counting the sales it has queued; nothing is lost.",
        ),
        steps=(
            (
                "Keep selling as normal; each sale is stored on the device while it's offline.",
                "Check the number of waiting sales under Sales > Offline queue.",
                "Don't sign out, delete or reinstall the app until the queue is empty.",
                "Once the connection is back, keep the app open until the queue reaches zero.",
            ),
            (
                "Reconnect the device to Wi-Fi or mobile data and open {product}.",
                "Go to Sales > Offline queue and tap Sync now if sales are still waiting.",
                "Refresh today's report once the queue is empty; the synced sales appear with their original "
                "times.",
            ),
        ),
        closing=(
            "If sales are still waiting in the queue after you're back online, send me a screenshot and "
            "I'll look into it.",
            "Let me know if the report still looks short once everything has synced.",
            "Happy to explain any of this to your staff if that would help.",
        ),
        followups=(
            "Synced as soon as the router came back. Report looks right now.",
            "The queue is stuck at 4 sales even though we're online again.",
            "What if the tablet's battery runs out while sales are queued?",
        ),
        second_replies=(
            "Great, thanks for confirming. Nothing else is needed on your side.",
            "Please don't sign out while those 4 are waiting. Send me the device name from Settings > "
            "Devices and I'll check why they haven't synced.",
            "Queued sales stay on the device, so charge it, open the app once it's online and they'll sync. "
            "Just don't delete the app while sales are waiting.",
        ),
        internal_notes=(
            "Offline queue synced after reconnect. No data lost.",
            "Queue stuck with pending sales; asked for device name, checking sync logs.",
            "Pre-sales question on offline mode for a market stall.",
        ),
        resolutions=("queue synced", "question answered", "sync issue escalated"),
    ),
    Scenario(
        key="reader-second-location-switzerland",
        products=("reader", "pos"),
        tags=("hardware", "shipping"),
        priority="low",
        subjects=(
            "Second card reader for our new shop",
            "Do you ship to Switzerland?",
            "Ordering another reader for a different address",
            "Extra reader for our Zurich location",
        ),
        openings=(
            "We're opening a second shop in Basel next month and need another {product} there. Do you ship "
            "to Switzerland, and can it go straight to the new address?",
            "How do I order a second reader for another location?",
            "Our main account is with you already and we love the reader. We'd like one more for our new "
            "branch, but it should be delivered to the branch, not to head office. Is that possible?",
            "Need a reader in Switzerland. Delivery time?",
        ),
        acknowledgements=(
            "Congratulations on the new location! Yes, we ship to Switzerland as well as the EU and the UK.",
            "Happy to help you get a second {product} set up.",
            "Good news: the new reader can go straight to your other location.",
        ),
        steps=(
            (
                "Go to Settings > Devices > Order hardware and add the {product}.",
                "Enter the new location's address as the delivery address at checkout.",
                "Choose Standard (3-5 business days, free) or Express (1-2 business days, 15 EUR).",
                "When it arrives, pair it with the phone at that location under Settings > Devices > Add "
                "device.",
            ),
            (
                "Order the extra reader under Settings > Devices > Order hardware.",
                "Set the delivery address to your Swiss location; we ship to Switzerland.",
                "Allow up to 2 business days for dispatch; the tracking number comes by e-mail.",
            ),
        ),
        closing=(
            "Once it's paired, sales from both locations show up in the same account.",
            "If you'd like help pairing the new reader on the day, just reply here.",
            "Good luck with the opening!",
        ),
        followups=(
            "Will there be customs fees on the Swiss delivery?",
            "Ordered, thanks. Can staff at the new shop pair it themselves?",
            "Is the warranty the same for the second reader?",
        ),
        second_replies=(
            "Let me check with our shipping team what applies to deliveries into Switzerland, and I'll come "
            "back to you before the order ships.",
            "Yes, pairing takes a few minutes from Settings > Devices > Add device on the phone they'll use.",
            "Yes, the same warranty applies: 12 months on Starter and Growth, 24 months on Enterprise.",
        ),
        internal_notes=(
            "Second reader ordered to a new CH address.",
            "Customer asked about customs for CH; checking with shipping team.",
        ),
        resolutions=("order placed", "question answered"),
    ),
    Scenario(
        key="reader-lost-stolen",
        products=("reader", "terminal"),
        tags=("hardware",),
        priority="high",
        subjects=(
            "Card reader stolen",
            "Lost our Q1 reader",
            "Reader missing after an event",
            "Stolen device, what do I do?",
            "Need to block a lost reader",
        ),
        openings=(
            "Someone took our {product} from the counter during a busy spell this afternoon. What should we "
            "do to make sure it can't be used?",
            "Reader lost at a market. Please block it.",
            "Our shop was broken into last night and the card reader is gone, along with a tablet. The "
            "police have been here. I need to know how to stop anyone using the reader and how to get a "
            "new one quickly.",
            "I think I left our reader in a taxi on the way back from a trade fair. Is there a way to "
            "disable it remotely?",
        ),
        acknowledgements=(
            "I'm sorry to hear that; let's make sure the {product} can't be used on your account.",
            "That's a horrible thing to deal with. The first step takes less than a minute.",
            "Thanks for telling us quickly. Removing the device from your account is the priority.",
        ),
        steps=(
            (
                "Sign in on any device and go to Settings > Devices.",
                "Select the missing reader and choose Remove device.",
                "Check the device list for anything else you don't recognise and remove it as well.",
                "Order a new reader under Settings > Devices > Order hardware if you need one.",
            ),
            (
                "Remove the missing reader under Settings > Devices straight away.",
                "If a phone or tablet with the POS app was taken too, change that user's password.",
                "Keep the police reference number in case you need it later.",
                "Order a replacement under Settings > Devices > Order hardware; it ships within 2 business "
                "days.",
            ),
        ),
        closing=(
            "Once it's removed, the reader can't take payments on your account.",
            "If you need the new reader quickly, express delivery takes 1-2 business days after dispatch for "
            "15 EUR.",
            "Let me know once it's removed and I'll double-check the device list with you.",
        ),
        followups=(
            "Done, it's gone from the list. Is a stolen reader covered by the warranty?",
            "Found it in the van, embarrassingly. How do I add it back?",
            "Removed it. Can you see whether anyone tried to use it?",
        ),
        second_replies=(
            "The warranty covers faults rather than loss or theft, so a new reader needs a new order; your "
            "insurer may be able to help with the cost.",
            "Glad it turned up. Add it again under Settings > Devices > Add device and it's ready to go.",
            "Let me check the device's activity since you last used it, and I'll confirm what I find.",
        ),
        internal_notes=(
            "Reader reported stolen; customer removed it under Settings > Devices.",
            "Lost reader found; re-added. No action needed.",
            "Customer asked about warranty for theft: not covered, new order needed.",
        ),
        resolutions=("device removed", "replacement ordered", "device found"),
    ),
)
